"""File commands after the upload: metadata changes, soft delete, expiry."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from application.app import PichrApplication
from application.plans import DEFAULT_PLANS
from application.principal import Principal
from application.quota import Quotas
from application.uploads import digest
from domain import ids
from domain.errors import ForbiddenError, NotFoundError
from domain.files import File


class FileCommands:
    def __init__(self, app: PichrApplication, quotas: Quotas | None = None) -> None:
        self.app = app
        self.quotas = quotas or Quotas(app, DEFAULT_PLANS)

    def update(self, who: Principal, file_id: str, changes: dict[str, Any]) -> int:
        def apply(file: File) -> None:
            _ensure_owner(who, file)
            file.update_metadata(actor=who.actor, changes=dict(changes), now=self.app.clock())

        return self.app.change(File, ids.FILE, file_id, apply)

    def delete(self, who: Principal, file_id: str, delete_token: str | None) -> int:
        def apply(file: File) -> list[Aggregate]:
            by_token = (
                delete_token is not None
                and file.delete_token_digest is not None
                and digest(delete_token) == file.delete_token_digest
            )
            if not by_token:
                _ensure_owner(who, file)
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


def _ensure_owner(who: Principal, file: File) -> None:
    """Owners may change a file; others get 404 for what they cannot see, else 403."""
    if file.owner_id is not None and who.account_id == file.owner_id:
        return
    if file.visibility == "private" or file.status != "ready":
        raise NotFoundError("No such file.", id=file.file_id)
    raise ForbiddenError("Only the file's owner may change it.", id=file.file_id)
