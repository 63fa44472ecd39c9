"""Album commands: each checks the caller, changes one Album and saves it.

Files are checked against their own aggregates (the source of truth, not a read model) before the
album is touched, so a refused request changes nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError

from pichr.application.albums.passwords import hash_password
from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.album_access import check_album_change
from pichr.domain.albums import Album
from pichr.domain.errors import ConflictError, ForbiddenError, GoneError
from pichr.domain.files import File
from pichr.domain.principal import Principal

T = TypeVar("T")
# Many clients may add to one album at once; each conflict reloads and applies again.
RETRIES = 200
PASSWORD = "password"  # noqa: S105  (the field name, not a secret)
COVER = "coverImageId"
LIVE = ("pending", "uploaded", "ready")  # rejected, blocked, abandoned files cannot be added


@dataclass(frozen=True, slots=True)
class AlbumDraft:
    title: str
    description: str | None
    visibility: str
    tags: list[str]
    file_ids: list[str]
    password: str | None


class AlbumCommands:
    def __init__(self, app: PichrApplication, retries: int = RETRIES) -> None:
        self.app = app
        self.retries = retries

    def create(self, who: Principal, draft: AlbumDraft) -> tuple[str, int]:
        """(album id, log position)."""
        owner = _account(who)
        self._check_files(owner, draft.file_ids)
        album_id = ids.to_public(ids.ALBUM, ids.new_uuid())
        album = Album(
            album_id=album_id,
            actor=who.actor,
            owner_id=owner,
            title=draft.title,
            description=draft.description,
            visibility=draft.visibility,
            tags=list(draft.tags),
        )
        album.add_files(actor=who.actor, file_ids=draft.file_ids)
        if draft.password:
            album.set_password(actor=who.actor, password_hash=hash_password(draft.password))
        return album_id, self.app.commit(album)

    def update(self, who: Principal, album_id: str, changes: dict[str, Any]) -> int:
        """`changes` may hold `password` (None or "" clears it) and `coverImageId` (None clears)."""
        changes = dict(changes)
        password = changes.pop(PASSWORD, ...)
        cover = changes.pop(COVER, ...)
        hashed = hash_password(password) if isinstance(password, str) and password else None

        def apply(album: Album) -> None:
            check_album_change(album.facts(), who)
            album.update(actor=who.actor, changes=changes)
            if password is not ...:
                album.set_password(actor=who.actor, password_hash=hashed)
            if cover is not ...:
                album.set_cover(actor=who.actor, file_id=cover)

        return self._change(album_id, apply)[1]

    def add_files(self, who: Principal, album_id: str, file_ids: list[str]) -> tuple[int, int]:
        """(files newly added, log position)."""
        owner = _account(who)

        def apply(album: Album) -> int:
            check_album_change(album.facts(), who)  # the album first: 404/410 before 403
            self._check_files(owner, file_ids)
            return album.add_files(actor=who.actor, file_ids=file_ids)

        return self._change(album_id, apply)

    def remove_file(self, who: Principal, album_id: str, file_id: str) -> int:
        def apply(album: Album) -> None:
            check_album_change(album.facts(), who)
            album.remove_file(actor=who.actor, file_id=file_id)

        return self._change(album_id, apply)[1]

    def delete(self, who: Principal, album_id: str) -> int:
        def apply(album: Album) -> None:
            check_album_change(album.facts(), who)
            album.delete(actor=who.actor)

        return self._change(album_id, apply)[1]

    def _change(self, album_id: str, apply: Callable[[Album], T]) -> tuple[T, int]:
        """Load, apply, save; on a concurrent write back off a little and apply again."""
        for attempt in range(self.retries):
            album = self.app.load(Album, ids.ALBUM, album_id)
            result = apply(album)
            try:
                return result, self.app.commit(album)
            except ConflictError:
                time.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311
        raise ConflictError("The album is changing too fast; retry.", id=album_id)

    def _check_files(self, owner: str, file_ids: list[str]) -> None:
        """403 naming files the caller does not own (or that do not exist); 410 for gone ones."""
        foreign, gone = [], []
        for file_id in dict.fromkeys(file_ids):
            file = self._file(file_id)
            if file is None or file.owner_id != owner:
                foreign.append(file_id)
            elif file.deleted or file.expired or file.held or file.status not in LIVE:
                gone.append(file_id)
        if foreign:
            raise ForbiddenError("You do not own these files.", fileIds=foreign)
        if gone:
            raise GoneError("These files were deleted, have expired or were removed.", fileIds=gone)

    def _file(self, file_id: str) -> File | None:
        try:
            found: object = self.app.repository.get(ids.to_uuid(ids.FILE, file_id))
        except (ids.InvalidIdError, AggregateNotFoundError):
            return None
        return found if isinstance(found, File) else None


def _account(who: Principal) -> str:
    if who.account_id is None:
        raise ForbiddenError("Albums belong to accounts; use an API key.")
    return who.account_id
