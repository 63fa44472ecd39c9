"""Wire schemas of POST /admin/accounts/{id}/erase (application/privacy/erase.py)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from pichr.api.wire.schemas import CamelStruct
from pichr.application.privacy.erase import ErasureReport


class EraseIn(CamelStruct, forbid_unknown_fields=True):
    # Why the account is erased (recorded in AccountErased; write no personal data here).
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class ErasureOut(CamelStruct):
    account_id: str
    files_deleted: list[str]
    files_purged: list[str]
    # Quarantined or banned files: their bytes are kept as evidence (moderation holds them).
    evidence_kept: list[str]
    albums_deleted: list[str]
    keys_erased: int
    position: int


def erasure_out(report: ErasureReport) -> ErasureOut:
    return ErasureOut(
        report.account_id,
        report.files_deleted,
        report.files_purged,
        report.evidence_kept,
        report.albums_deleted,
        report.keys_erased,
        report.position,
    )
