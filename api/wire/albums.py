"""Wire schemas of the album routes: one msgspec Struct per direction, spelled as the reference."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from pichr.api.wire.schemas import Description, FileItem, Pagination, Tags, Visibility

AlbumTitle = Annotated[str, Meta(min_length=1, max_length=200)]
FileId = Annotated[str, Meta(min_length=1, max_length=64)]
# One request names at most this many files (an album may hold up to domain.albums.MAX_FILES).
# Items are not constrained here (OpenAPI could not say so): a malformed id is an unknown file.
FileIds = Annotated[list[str], Meta(max_length=1000)]
Password = Annotated[str, Meta(max_length=256)]


class AlbumIn(Struct, forbid_unknown_fields=True):
    title: AlbumTitle
    description: Description | None = None
    fileIds: FileIds = msgspec.field(default_factory=list)  # noqa: N815
    visibility: Visibility = "public"
    password: Password | None = None  # empty or null: no password
    tags: Tags = msgspec.field(default_factory=list)


class AlbumPatchIn(Struct, forbid_unknown_fields=True):
    title: AlbumTitle | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    password: Password | UnsetType | None = UNSET  # null or "": remove the password
    tags: Tags | None = None
    coverImageId: FileId | UnsetType | None = UNSET  # noqa: N815  (null: no cover)


class AlbumFilesIn(Struct, forbid_unknown_fields=True):
    fileIds: Annotated[list[str], Meta(min_length=1, max_length=1000)]  # noqa: N815


class AlbumOut(Struct):
    id: str
    title: str
    description: str | None
    visibility: str
    tags: list[str]
    url: str
    coverImageId: str | None  # noqa: N815
    passwordProtected: bool  # noqa: N815
    fileCount: int  # noqa: N815
    viewCount: int  # noqa: N815
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815


class AlbumDetail(AlbumOut):
    files: list[FileItem]


class AlbumList(Struct):
    albums: list[AlbumOut]
    pagination: Pagination


class AlbumPatchOut(Struct):
    message: str
    updated: list[str]
    album: AlbumOut


class AlbumFilesOut(Struct):
    message: str
    added: int
    requested: int


class AlbumMessageOut(Struct, omit_defaults=True):
    message: str
    albumId: str  # noqa: N815
    fileId: str | None = None  # noqa: N815
