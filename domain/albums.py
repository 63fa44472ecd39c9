"""The Album aggregate: an ordered set of its owner's files, with its own visibility and password.

Passwords arrive already hashed: the domain never sees a plaintext.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from pichr.domain import ids
from pichr.domain.album_access import AlbumFacts
from pichr.domain.errors import GoneError, InvalidInputError, NotFoundError

VISIBILITIES = ("public", "unlisted", "private")
EDITABLE = ("title", "description", "visibility", "tags")
MAX_FILES = 10_000


class Album(Aggregate):
    TOPIC = "pichr.album.Album.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.album.Created.v1"

    @event("AlbumCreated", topic="pichr.album.AlbumCreated.v1")
    def __init__(
        self,
        *,
        album_id: str,
        actor: str,
        owner_id: str,
        title: str,
        description: str | None,
        visibility: str,
        tags: list[str],
    ) -> None:
        self.album_id = album_id
        self.owner_id = owner_id
        self.title = title
        self.description = description
        self.visibility = visibility
        self.tags = tags
        self.file_ids: list[str] = []
        self.cover_id: str | None = None
        self.password_hash: str | None = None
        self.deleted = False

    @staticmethod
    def create_id(album_id: str) -> UUID:
        return ids.to_uuid(ids.ALBUM, album_id)

    def facts(self) -> AlbumFacts:
        """What the access decision needs (domain/album_access.py)."""
        return AlbumFacts(
            self.album_id,
            self.owner_id,
            self.visibility,
            live=not self.deleted,
            password_protected=self.password_hash is not None,
        )

    # -- metadata ---------------------------------------------------------------------------

    def update(self, *, actor: str, changes: dict[str, Any]) -> None:
        self.ensure_live()
        check_changes(changes)
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changed:
            self._updated(actor=actor, changes=changed)

    @event("AlbumUpdated", topic="pichr.album.AlbumUpdated.v1")
    def _updated(self, *, actor: str, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def set_password(self, *, actor: str, password_hash: str | None) -> None:
        """`password_hash`: the hash computed by the application; None clears the password."""
        self.ensure_live()
        if password_hash is None:
            if self.password_hash is not None:
                self._password_cleared(actor=actor)
        elif password_hash != self.password_hash:
            self._password_set(actor=actor, password_hash=password_hash)

    @event("PasswordSet", topic="pichr.album.PasswordSet.v1")
    def _password_set(self, *, actor: str, password_hash: str) -> None:
        self.password_hash = password_hash

    @event("PasswordCleared", topic="pichr.album.PasswordCleared.v1")
    def _password_cleared(self, *, actor: str) -> None:
        self.password_hash = None

    def set_cover(self, *, actor: str, file_id: str | None) -> None:
        self.ensure_live()
        if file_id is not None and file_id not in self.file_ids:
            raise InvalidInputError(
                "The cover must be a file in the album.", field="coverImageId", id=file_id
            )
        if file_id != self.cover_id:
            self._cover_set(actor=actor, file_id=file_id)

    @event("CoverSet", topic="pichr.album.CoverSet.v1")
    def _cover_set(self, *, actor: str, file_id: str | None) -> None:
        self.cover_id = file_id

    # -- contents ---------------------------------------------------------------------------

    def add_files(self, *, actor: str, file_ids: list[str]) -> int:
        """Append the files not yet in the album, in the given order; how many were new."""
        self.ensure_live()
        present = set(self.file_ids)
        new = [f for f in dict.fromkeys(file_ids) if f not in present]
        if len(self.file_ids) + len(new) > MAX_FILES:
            raise InvalidInputError(
                f"An album holds at most {MAX_FILES} files.", field="fileIds", limit=MAX_FILES
            )
        if new:
            self._files_added(actor=actor, file_ids=new)
        return len(new)

    @event("FilesAdded", topic="pichr.album.FilesAdded.v1")
    def _files_added(self, *, actor: str, file_ids: list[str]) -> None:
        self.file_ids = [*self.file_ids, *file_ids]

    def remove_file(self, *, actor: str, file_id: str) -> None:
        self.ensure_live()
        if file_id not in self.file_ids:
            raise NotFoundError("The file is not in the album.", id=file_id)
        self._file_removed(actor=actor, file_id=file_id)

    @event("FileRemoved", topic="pichr.album.FileRemoved.v1")
    def _file_removed(self, *, actor: str, file_id: str) -> None:
        self.file_ids = [f for f in self.file_ids if f != file_id]
        if self.cover_id == file_id:
            self.cover_id = None

    # -- end of life ------------------------------------------------------------------------

    def delete(self, *, actor: str) -> None:
        self.ensure_live()
        self._deleted(actor=actor)

    @event("AlbumDeleted", topic="pichr.album.AlbumDeleted.v1")
    def _deleted(self, *, actor: str) -> None:
        self.deleted = True

    def ensure_live(self) -> None:
        if self.deleted:
            raise GoneError("The album was deleted.", id=self.album_id)


def check_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError("Unknown fields.", fields=sorted(unknown))
    if "visibility" in changes and changes["visibility"] not in VISIBILITIES:
        raise InvalidInputError("Unknown visibility.", field="visibility")
    if "title" in changes and not str(changes["title"]).strip():
        raise InvalidInputError("The title must not be blank.", field="title")
