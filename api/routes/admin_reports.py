"""Moderators' routes (admin scope): the report queue, one report (with the reporter's e-mail
until it is erased), a decision on it, and erasing the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from anyio import to_thread
from litestar import Controller, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from msgspec import Meta

from pichr.api.errors import NAMES
from pichr.api.services import Services
from pichr.api.wire.schemas import CamelStruct, ErrorOut, Pagination
from pichr.api.wire.views import rfc3339
from pichr.domain.access import require_scope
from pichr.domain.errors import NotFoundError
from pichr.domain.principal import Principal
from pichr.projections.queries.reports import list_reports, report_by_id
from pichr.projections.queries.rows import ReportRow

ERRORS = {
    code: ResponseSpec(data_container=ErrorOut, description=NAMES[code], generate_examples=False)
    for code in (400, 401, 403, 404, 409, 410)
}


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


class AdminReportsController(Controller):
    path = "/admin/reports"
    tags = ["admin", "moderation"]

    @get("/", summary="The report queue: top priority first, oldest first", responses=ERRORS)
    async def list_queue(
        self,
        who: Principal,
        services: Services,
        status: Literal["pending", "resolved"] | None = None,
        priority: Annotated[int | None, Parameter(ge=0, le=2)] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
    ) -> ReportList:
        require_scope(who, "admin")
        rows, total = await list_reports(services.reads.pool, status, priority, limit, offset)
        more = offset + len(rows) < total
        page = Pagination(total=total, limit=limit, offset=offset, has_more=more)
        return ReportList(reports=[report_view(r) for r in rows], pagination=page)

    @get("/{report_id:str}", summary="One report, with the reporter's e-mail", responses=ERRORS)
    async def one(self, report_id: str, who: Principal, services: Services) -> ReportView:
        require_scope(who, "admin")
        row = await _row(services, report_id)
        email = await to_thread.run_sync(services.moderation.reports.email, report_id)
        return report_view(row, email)

    @post("/{report_id:str}/resolve", status_code=200, summary="Decide", responses=ERRORS)
    async def resolve(
        self, report_id: str, data: ResolveIn, who: Principal, services: Services
    ) -> ResolveOut:
        require_scope(who, "admin")
        done = await to_thread.run_sync(
            services.moderation.resolve, who.actor, report_id, data.action, data.reason
        )
        await services.caught_up(done.position, "reports")
        await services.caught_up(done.position)  # the file's new state is what reads show
        await services.caught_up(done.position, "blocklist")
        row = await _row(services, report_id)
        return ResolveOut("Report resolved.", done.file_changed, report_view(row))

    @delete("/{report_id:str}/email", status_code=200, summary="Erase the reporter's e-mail")
    async def erase_email(self, report_id: str, who: Principal, services: Services) -> ErasedOut:
        require_scope(who, "admin")
        erased, position = await to_thread.run_sync(
            services.moderation.reports.erase_email, who.actor, report_id
        )
        await services.caught_up(position, "reports")
        return ErasedOut("The reporter's e-mail is erased.", report_id, erased)


async def _row(services: Services, report_id: str) -> ReportRow:
    row = await report_by_id(services.reads.pool, report_id)
    if row is None:
        raise NotFoundError("No such report.", id=report_id)
    return row


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
