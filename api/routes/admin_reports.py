"""Moderators' routes (admin scope): the report queue, one report (with the reporter's e-mail
until it is erased), a decision on it, and erasing the e-mail."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, delete, get, post
from litestar.params import Parameter

from pichr.api.commands import BLOCKLIST, FILES, NOTHING, REPORTS, Reads, run
from pichr.api.services import Services
from pichr.api.wire.error_docs import refusal_specs
from pichr.api.wire.moderation import (
    ErasedOut,
    ReportList,
    ReportView,
    ResolveIn,
    ResolveOut,
    report_view,
)
from pichr.api.wire.schemas import Pagination
from pichr.domain.access import require_scope
from pichr.domain.errors import NotFoundError
from pichr.domain.principal import Principal
from pichr.projections.queries.reports import list_reports, report_by_id
from pichr.projections.queries.rows import ReportRow

ERRORS = refusal_specs(400, 401, 403, 404, 409, 410)
# A decision shows in the queue, in the file's state that reads show, and in the blocklist.
DECIDED = Reads((REPORTS, FILES, BLOCKLIST))


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
        email = await run(services, NOTHING, services.moderation.reports.email, report_id)
        return report_view(row, email)

    @post("/{report_id:str}/resolve", status_code=200, summary="Decide", responses=ERRORS)
    async def resolve(
        self, report_id: str, data: ResolveIn, who: Principal, services: Services
    ) -> ResolveOut:
        require_scope(who, "admin")
        decide = services.moderation.resolve
        done = await run(services, DECIDED, decide, who.actor, report_id, data.action, data.reason)
        row = await _row(services, report_id)
        return ResolveOut("Report resolved.", done.file_changed, report_view(row))

    @delete("/{report_id:str}/email", status_code=200, summary="Erase the reporter's e-mail")
    async def erase_email(self, report_id: str, who: Principal, services: Services) -> ErasedOut:
        require_scope(who, "admin")
        erase = services.moderation.reports.erase_email
        erased, _ = await run(services, Reads((REPORTS,)), erase, who.actor, report_id)
        return ErasedOut("The reporter's e-mail is erased.", report_id, erased)


async def _row(services: Services, report_id: str) -> ReportRow:
    row = await report_by_id(services.reads.pool, report_id)
    if row is None:
        raise NotFoundError("No such report.", id=report_id)
    return row
