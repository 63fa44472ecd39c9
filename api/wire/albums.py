"""Wire schemas of the album routes: one msgspec Struct per direction, spelled as the reference."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from pichr.api.wire.files import FileItem
from pichr.api.wire.schemas import CamelStruct, Description, Pagination, Tags, Visibility

AlbumTitle = Annotated[str, Meta(min_length=1, max_length=200)]
FileId = Annotated[str, Meta(min_length=1, max_length=64)]
# One request names at most this many files (an album may hold up to domain.albums.MAX_FILES).
# Items are not constrained here (OpenAPI could not say so): a malformed id is an unknown file.
FileIds = Annotated[list[str], Meta(max_length=1000)]
Password = Annotated[str, Meta(max_length=256)]


class AlbumIn(CamelStruct, forbid_unknown_fields=True):
    title: AlbumTitle
    description: Description | None = None
    file_ids: FileIds = msgspec.field(default_factory=list)
    visibility: Visibility = "public"
    password: Password | None = None  # empty or null: no password
    tags: Tags = msgspec.field(default_factory=list)


class AlbumPatchIn(CamelStruct, forbid_unknown_fields=True):
    title: AlbumTitle | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    password: Password | UnsetType | None = UNSET  # null or "": remove the password
    tags: Tags | None = None
    cover_image_id: FileId | UnsetType | None = UNSET  # null: no cover


class AlbumFilesIn(CamelStruct, forbid_unknown_fields=True):
    file_ids: Annotated[list[str], Meta(min_length=1, max_length=1000)]


class AlbumOut(CamelStruct):
    id: str
    title: str
    description: str | None
    visibility: str
    tags: list[str]
    url: str
    cover_image_id: str | None
    password_protected: bool
    file_count: int
    view_count: int
    created_at: str
    updated_at: str


class AlbumDetail(AlbumOut):
    files: list[FileItem]


class AlbumList(CamelStruct):
    albums: list[AlbumOut]
    pagination: Pagination


class AlbumPatchOut(CamelStruct):
    message: str
    updated: list[str]
    album: AlbumOut


class AlbumFilesOut(CamelStruct):
    message: str
    added: int
    requested: int


class AlbumMessageOut(CamelStruct, omit_defaults=True):
    message: str
    album_id: str
    file_id: str | None = None
