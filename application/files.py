"""File commands after the upload: metadata changes, soft delete, expiry."""

from __future__ import annotations

from typing import Any

from application.app import PichrApplication
from application.principal import Principal
from application.uploads import digest
from domain import ids
from domain.errors import ForbiddenError, NotFoundError
from domain.files import File


class FileCommands:
    def __init__(self, app: PichrApplication) -> None:
        self.app = app

    def update(self, who: Principal, file_id: str, changes: dict[str, Any]) -> int:
        def apply(file: File) -> None:
            _ensure_owner(who, file)
            file.update_metadata(actor=who.actor, changes=dict(changes), now=self.app.clock())

        return self.app.change(File, ids.FILE, file_id, apply)

    def delete(self, who: Principal, file_id: str, delete_token: str | None) -> int:
        def apply(file: File) -> None:
            by_token = (
                delete_token is not None
                and file.delete_token_digest is not None
                and digest(delete_token) == file.delete_token_digest
            )
            if not by_token:
                _ensure_owner(who, file)
            file.delete(actor=who.actor)

        return self.app.change(File, ids.FILE, file_id, apply)

    def expire(self, file_id: str) -> int:
        return self.app.change(File, ids.FILE, file_id, lambda f: f.expire(now=self.app.clock()))


def _ensure_owner(who: Principal, file: File) -> None:
    """Owners may change a file; others get 404 for what they cannot see, else 403."""
    if file.owner_id is not None and who.account_id == file.owner_id:
        return
    if file.visibility == "private" or file.status != "ready":
        raise NotFoundError("No such file.", id=file.file_id)
    raise ForbiddenError("Only the file's owner may change it.", id=file.file_id)
