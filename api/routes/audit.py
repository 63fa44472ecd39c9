"""Moderators' view of a file's life: its full history, and its state at any past moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import Parameter

from pichr.api.commands import NOTHING, run
from pichr.api.services import Services
from pichr.api.wire.events import FileAsOf, FileHistory, HistoryEntry
from pichr.application.moderation.audit import file_as_of, file_history
from pichr.domain.access import require_scope
from pichr.domain.principal import Principal


class AuditController(Controller):
    path = "/admin/files"
    tags = ["admin"]

    @get("/{file_id:str}/history", summary="Every event of a file, in order")
    async def history(self, file_id: str, who: Principal, services: Services) -> FileHistory:
        require_scope(who, "admin")
        entries = await run(
            services, NOTHING, file_history, services.app, file_id, services.reports_of_file
        )
        return FileHistory(file_id=file_id, events=[HistoryEntry(**e) for e in entries])

    @get("/{file_id:str}", summary="A file's state at a past moment (time travel)")
    async def as_of(
        self,
        file_id: str,
        who: Principal,
        services: Services,
        as_of: Annotated[datetime, Parameter(query="asOf", description="RFC 3339 time")],
    ) -> FileAsOf:
        require_scope(who, "admin")
        found = await run(services, NOTHING, file_as_of, services.app, file_id, as_of)
        return msgspec.convert(found, FileAsOf)  # the state as of then, by its wire names
