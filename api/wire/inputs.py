"""Request bodies as the application's commands take them (the "parse" of a controller)."""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from msgspec import UNSET

from pichr.api.wire.albums import AlbumIn, AlbumPatchIn
from pichr.api.wire.files import PatchIn
from pichr.api.wire.multipart import MultipartInitIn
from pichr.api.wire.uploads import PresignIn
from pichr.application.albums.commands import AlbumDraft
from pichr.application.uploads.commands import UploadRequest
from pichr.application.uploads.guarded import TooLargeError
from pichr.domain.errors import InvalidInputError

ALBUM_PATCHABLE = ("title", "description", "visibility", "tags")  # null: left as it is


def upload_request(data: PresignIn | MultipartInitIn, size: int, max_bytes: int) -> UploadRequest:
    """The command for presign and multipart init, after the instance-wide size limit (413)."""
    if size > max_bytes:
        raise TooLargeError(
            "The file exceeds the size limit.",
            limit="maxUploadBytes",
            maxUploadBytes=max_bytes,
            declaredBytes=size,
        )
    return UploadRequest(
        filename=data.filename,
        mime=data.mime,
        bytes=size,
        sha256=data.sha256,
        title=data.title,
        description=data.description,
        visibility=data.visibility,
        tags=tuple(data.tags),
        expires_in=data.expires_in,
    )


@functools.cache
def _wire_names(kind: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(attribute, wire name) of a Struct's fields. msgspec.structs.fields evaluates the
    annotations on every call: a sixth of a PATCH's time under py-spy, so once per type."""
    return tuple((f.name, f.encode_name) for f in msgspec.structs.fields(kind))


def file_changes(data: PatchIn) -> dict[str, Any]:
    """The fields given (not null), by their wire names: MetadataUpdated records them so."""
    pairs = ((wire, getattr(data, name)) for name, wire in _wire_names(type(data)))
    changes = {wire: value for wire, value in pairs if value is not None}
    if not changes:
        raise InvalidInputError("Nothing to update.", fields=[])
    return changes


def album_draft(data: AlbumIn) -> AlbumDraft:
    return AlbumDraft(
        title=data.title,
        description=data.description,
        visibility=data.visibility,
        tags=list(data.tags),
        file_ids=list(data.file_ids),
        password=data.password or None,
    )


def album_changes(data: AlbumPatchIn) -> dict[str, Any]:
    """The changes by their wire names. The password and the cover may be set to null (none):
    only a field left out leaves them as they are."""
    changes: dict[str, Any] = {
        name: getattr(data, name) for name in ALBUM_PATCHABLE if getattr(data, name) is not None
    }
    if data.password is not UNSET:
        changes["password"] = data.password
    if data.cover_image_id is not UNSET:
        changes["coverImageId"] = data.cover_image_id
    return changes
