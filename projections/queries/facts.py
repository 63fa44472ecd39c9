"""Read-model rows as the access decision's typed facts (domain/access.py, album_access.py)."""

from __future__ import annotations

from typing import Any

from pichr.domain.access import FileFacts
from pichr.domain.album_access import AlbumFacts

MEMO = "_facts"  # rows are shared through the read cache: the facts are built once per version


def file_facts(row: dict[str, Any]) -> FileFacts:
    facts: FileFacts | None = row.get(MEMO)
    if facts is None:
        facts = row[MEMO] = FileFacts(
            file_id=row["id"],
            owner_id=row["owner_id"],
            visibility=row["visibility"],
            status=row["status"],
            expires_at=row["expires_at"],
            analyzed=row.get("analyzed_at") is not None,
            analysis_failed=bool(row.get("analysis_error")),
            nsfw_score=row["nsfw_score"],
            age_restricted=bool(row.get("age_restricted")),
        )
    return facts


def album_facts(row: dict[str, Any]) -> AlbumFacts:
    return AlbumFacts(
        album_id=row["id"],
        owner_id=row["owner_id"],
        visibility=row["visibility"],
        live=row["status"] == "live",
        password_protected=row["password_hash"] is not None,
    )
