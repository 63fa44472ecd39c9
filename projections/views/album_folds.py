"""How each event changes the album read models, folded in memory for one batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import msgspec

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.file_listing import file_id_of

Row = dict[str, Any]
A = "pichr.album."
F = "pichr.file."
CREATED = A + "AlbumCreated.v1"
REQUESTED = F + "UploadRequested.v1"
TALLIED = "pichr.tally.ViewsTallied.v1"
SEQ_PER_EVENT = 10_000  # > domain.albums.MAX_FILES: order within one FilesAdded event


@dataclass
class Batch:
    albums: dict[str, Row]
    states: dict[str, Row]
    members: dict[tuple[str, str], int | None] = field(default_factory=dict)  # None: removed
    deleted: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)  # album rows to write
    files: set[str] = field(default_factory=set)  # file states to write
    file_positions: dict[str, int] = field(default_factory=dict)  # gate changes of files
    recount: set[str] = field(default_factory=set)

    def album_changed(self, album_id: str, position: int) -> None:
        row = self.albums[album_id]
        row["position"] = max(row["position"], position)
        self.changed.add(album_id)

    def file_changed(self, file_id: str, position: int) -> None:
        self.files.add(file_id)
        self.file_positions[file_id] = position


def new_album(e: LoggedEvent) -> Row:
    d = e.data
    return {
        "id": d["album_id"],
        "owner_id": d["owner_id"],
        "title": d["title"],
        "description": d["description"],
        "visibility": d["visibility"],
        "tags": d["tags"],
        "password_hash": None,
        "cover_id": None,
        "file_count": 0,
        "view_count": 0,
        "status": "live",
        "created_at": e.timestamp,
        "updated_at": e.timestamp,
        "deleted_at": None,
        "position": e.position,
    }


# The few fields the album read models take from file events (every file has several):
# decoding only these skips most of each event's JSON. Any: exactly what `data` would hold.
class _Requested(TypedDict, total=False):
    file_id: Any
    visibility: Any


class _Finalized(TypedDict, total=False):
    expires_at: Any


class _Changes(TypedDict, total=False):
    visibility: Any
    expiresAt: Any


class _Updated(TypedDict, total=False):
    changes: _Changes


REQUESTED_FIELDS = msgspec.json.Decoder(_Requested)
FINALIZED_FIELDS = msgspec.json.Decoder(_Finalized)
UPDATED_FIELDS = msgspec.json.Decoder(_Updated)


def new_state(e: LoggedEvent) -> Row:
    d = e.fields(REQUESTED_FIELDS)
    return {
        "file_id": d["file_id"],
        "status": "pending",
        "visibility": d["visibility"],
        "expires_at": None,
    }


AlbumFold = Callable[[Row, LoggedEvent, Batch], None]


def _album(fold: AlbumFold) -> Callable[[Batch, str, LoggedEvent], None]:
    def apply(batch: Batch, album_id: str, e: LoggedEvent) -> None:
        row = batch.albums.get(album_id)
        if row is None:
            return
        fold(row, e, batch)
        row["updated_at"] = e.timestamp
        batch.album_changed(album_id, e.position)

    return apply


def _updated(row: Row, e: LoggedEvent, batch: Batch) -> None:
    for name, value in e.data["changes"].items():
        if name in ("title", "description", "visibility", "tags"):
            row[name] = value


def _password_set(row: Row, e: LoggedEvent, batch: Batch) -> None:
    row["password_hash"] = e.data["password_hash"]


def _password_cleared(row: Row, e: LoggedEvent, batch: Batch) -> None:
    row["password_hash"] = None


def _cover_set(row: Row, e: LoggedEvent, batch: Batch) -> None:
    row["cover_id"] = e.data["file_id"]


def _files_added(row: Row, e: LoggedEvent, batch: Batch) -> None:
    for i, file_id in enumerate(e.data["file_ids"]):
        batch.members[(row["id"], file_id)] = e.position * SEQ_PER_EVENT + i
    batch.recount.add(row["id"])


def _file_removed(row: Row, e: LoggedEvent, batch: Batch) -> None:
    file_id = e.data["file_id"]
    batch.members[(row["id"], file_id)] = None
    if row["cover_id"] == file_id:
        row["cover_id"] = None
    batch.recount.add(row["id"])


def _deleted(row: Row, e: LoggedEvent, batch: Batch) -> None:
    row["status"] = "deleted"
    row["deleted_at"] = e.timestamp
    batch.deleted.add(row["id"])
    batch.recount.add(row["id"])


ALBUM_FOLDS: dict[str, Callable[[Batch, str, LoggedEvent], None]] = {
    A + "AlbumUpdated.v1": _album(_updated),
    A + "PasswordSet.v1": _album(_password_set),
    A + "PasswordCleared.v1": _album(_password_cleared),
    A + "CoverSet.v1": _album(_cover_set),
    A + "FilesAdded.v1": _album(_files_added),
    A + "FileRemoved.v1": _album(_file_removed),
    A + "AlbumDeleted.v1": _album(_deleted),
}

StateFold = Callable[[Row, LoggedEvent], bool]  # True when the gate state changed


def _state(fold: StateFold) -> Callable[[Batch, str, LoggedEvent], None]:
    def apply(batch: Batch, file_id: str, e: LoggedEvent) -> None:
        row = batch.states.get(file_id)
        if row is not None and fold(row, e):
            batch.file_changed(file_id, e.position)

    return apply


def _status(status: str) -> StateFold:
    def fold(row: Row, e: LoggedEvent) -> bool:
        row["status"] = status
        return True

    return fold


def _finalized(row: Row, e: LoggedEvent) -> bool:
    row["status"] = "ready"
    row["expires_at"] = e.fields(FINALIZED_FIELDS)["expires_at"]
    return True


def _restored(row: Row, e: LoggedEvent) -> bool:
    row["status"] = e.data["status"]  # the lifecycle status the file returns to
    return True


def _metadata(row: Row, e: LoggedEvent) -> bool:
    changes = e.fields(UPDATED_FIELDS)["changes"]
    if "visibility" in changes:
        row["visibility"] = changes["visibility"]
    if "expiresAt" in changes:
        row["expires_at"] = changes["expiresAt"]
    return "visibility" in changes or "expiresAt" in changes


FILE_FOLDS: dict[str, Callable[[Batch, str, LoggedEvent], None]] = {
    F + "UploadStored.v1": _state(_status("uploaded")),
    F + "UploadFinalized.v1": _state(_finalized),
    F + "UploadRejected.v1": _state(_status("rejected")),
    F + "MetadataUpdated.v1": _state(_metadata),
    F + "FileDeleted.v1": _state(_status("deleted")),
    F + "FileExpired.v1": _state(_status("expired")),
    F + "UploadAbandoned.v1": _state(_status("abandoned")),
    F + "UploadBlocked.v1": _state(_status("blocked")),
    F + "FileQuarantined.v1": _state(_status("quarantined")),
    F + "FileBanned.v1": _state(_status("banned")),
    F + "FileRestored.v1": _state(_restored),
}


def fold_events(batch: Batch, events: list[LoggedEvent]) -> None:
    """Fold a batch into `batch` (the albums and file states its events touch, as stored).
    Pure: the projection loads them before and writes what changed, members and counts after."""
    for e in events:
        if e.topic == CREATED:
            batch.albums[e.data["album_id"]] = new_album(e)
            batch.album_changed(e.data["album_id"], e.position)
        elif e.topic == REQUESTED:
            state = new_state(e)
            batch.states[state["file_id"]] = state
            batch.file_changed(state["file_id"], e.position)
        elif e.topic in ALBUM_FOLDS:
            ALBUM_FOLDS[e.topic](batch, ids.to_public(ids.ALBUM, e.originator_id), e)
        elif e.topic in FILE_FOLDS:
            FILE_FOLDS[e.topic](batch, file_id_of(e.originator_id), e)
        elif e.topic == TALLIED:
            _views(batch, e)


def _views(batch: Batch, e: LoggedEvent) -> None:
    for album_id, count in e.data["views"].items():
        row = batch.albums.get(album_id)
        if row is not None:
            row["view_count"] += count
            batch.album_changed(album_id, e.position)
