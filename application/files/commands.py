"""File commands after the upload: metadata changes, soft delete, expiry."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import digest
from pichr.application.uploads.plans import DEFAULT_PLANS
from pichr.application.uploads.quota import Quotas
from pichr.domain import ids
from pichr.domain.access import check_change, check_delete
from pichr.domain.files import File
from pichr.domain.principal import Principal


class FileCommands:
    def __init__(self, app: PichrApplication, quotas: Quotas | None = None) -> None:
        self.app = app
        self.quotas = quotas or Quotas(app, DEFAULT_PLANS)

    def update(self, who: Principal, file_id: str, changes: dict[str, Any]) -> int:
        def apply(file: File) -> None:
            check_change(file.facts(), who)
            file.update_metadata(actor=who.actor, changes=dict(changes), now=self.app.clock())

        return self.app.change(File, ids.FILE, file_id, apply)

    def delete(self, who: Principal, file_id: str, delete_token: str | None) -> int:
        def apply(file: File) -> list[Aggregate]:
            by_token = (
                delete_token is not None
                and file.delete_token_digest is not None
                and digest(delete_token) == file.delete_token_digest
            )
            check_delete(file.facts(), who, token_ok=by_token)
            file.delete(actor=who.actor)
            ledger = self.quotas.release(who.actor, file, "deleted")
            return [ledger] if ledger else []

        return self.app.change(File, ids.FILE, file_id, apply)

    def expire(self, file_id: str) -> int:
        def apply(file: File) -> list[Aggregate]:
            if not file.expire(now=self.app.clock()):
                return []
            ledger = self.quotas.release("system", file, "expired")
            return [ledger] if ledger else []

        return self.app.change(File, ids.FILE, file_id, apply)
