"""Wire schemas of moderation: the public report, and the moderators' queue and decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from msgspec import Meta

from pichr.api.wire.schemas import CamelStruct, Email, Pagination
from pichr.api.wire.views import rfc3339
from pichr.domain.reports import Reason
from pichr.projections.queries.rows import ReportRow


class ReportIn(CamelStruct, forbid_unknown_fields=False):
    file_id: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Reason
    details: Annotated[str, Meta(max_length=5000)] | None = None
    email: Email | None = None


class ReportOut(CamelStruct):
    message: str
    report_id: str
    compliance_message: str
    status: str


class ReportView(CamelStruct, omit_defaults=True):
    id: str
    file_id: str
    reason: str
    details: str | None
    priority: int  # 0: csam, terrorism; 1: violence, self_harm, hate_speech, harassment; 2: rest
    status: str  # pending | resolved
    has_email: bool
    quarantined: bool  # this report withheld the file at once
    created_at: str
    age_seconds: int
    resolved_at: str | None = None
    action: str | None = None
    decision_reason: str | None = None
    moderator: str | None = None
    email: str | None = None  # only on GET /admin/reports/{id}, until erased


class ReportList(CamelStruct):
    reports: list[ReportView]
    pagination: Pagination


class ResolveIn(CamelStruct, forbid_unknown_fields=False):
    action: Literal["dismiss", "restrict", "remove", "restore"]
    reason: Annotated[str, Meta(max_length=2000)] = ""  # required: an empty one is a 400


class ResolveOut(CamelStruct):
    message: str
    file_changed: bool  # False: the file already was as the action leaves it
    report: ReportView


class ErasedOut(CamelStruct):
    message: str
    report_id: str
    erased: bool


def report_view(row: ReportRow, email: str | None = None) -> ReportView:
    age = datetime.now(UTC) - row.created_at
    return ReportView(
        id=row.id,
        file_id=row.file_id,
        reason=row.reason,
        details=row.details,
        priority=row.priority,
        status=row.status,
        has_email=row.has_email,
        quarantined=row.quarantined,
        created_at=rfc3339(row.created_at) or "",
        age_seconds=int(age.total_seconds()),
        resolved_at=rfc3339(row.resolved_at),
        action=row.action,
        decision_reason=row.decision_reason,
        moderator=row.moderator,
        email=email,
    )
