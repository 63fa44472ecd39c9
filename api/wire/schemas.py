"""Wire schemas: one msgspec Struct per direction, camelCase on the wire as the reference has it."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

Visibility = Literal["public", "unlisted", "private"]
Sha256 = Annotated[str, Meta(pattern="^[0-9a-fA-F]{64}$")]
Title = Annotated[str, Meta(max_length=200)]
Description = Annotated[str, Meta(max_length=5000)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Meta(max_length=30)]
Host = Annotated[str, Meta(min_length=1, max_length=253)]
Hours = Annotated[int, Meta(ge=1, le=24 * 365 * 10)]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class CamelStruct(Struct, rename="camel"):
    """The base of every wire Struct: snake_case attributes, camelCase field names on the wire
    (`file_id` is `fileId`) in bodies, validation errors and the OpenAPI document alike."""


class PresignIn(CamelStruct, forbid_unknown_fields=False):
    filename: Annotated[str, Meta(min_length=1, max_length=255)]
    mime: Annotated[str, Meta(min_length=1, max_length=100)]
    bytes: Annotated[int, Meta(ge=1)]
    sha256: Sha256 | None = None
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility = "public"
    tags: Tags = msgspec.field(default_factory=list)
    expires_in: Hours | None = None


class PresignOut(CamelStruct, omit_defaults=True):
    upload_id: str
    upload_url: str
    file_id: str
    r2_key: str
    message: str
    delete_token: str | None = None


class DirectOut(CamelStruct):
    file_id: str
    url: str
    mime: str
    bytes: int
    status: str
    r2_key: str  # the object this PUT wrote; finalize accepts it or presign's
    etag: str


class FinalizeIn(CamelStruct):
    upload_id: Annotated[str, Meta(min_length=1, max_length=64)]
    file_id: Annotated[str, Meta(min_length=1, max_length=64)]
    r2_key: str | None = None
    r2_etag: str | None = None
    # Client-computed values are accepted for compatibility and never trusted.
    width: int | None = None
    height: int | None = None
    phash: str | None = None
    nsfw_score: float | None = None


class Duplicate(CamelStruct):
    file_id: str
    kind: str
    distance: int | None = None


class FinalizeOut(CamelStruct):
    file_id: str
    url: str
    cdn_url: str
    mime: str
    bytes: int
    width: int | None
    height: int | None
    nsfw_score: float | None
    age_restricted: bool
    visibility: str
    expires_at: str | None
    phash: str | None
    duplicates: list[Duplicate]
    status: str = "ready"


class FileOut(CamelStruct):
    id: str
    url: str
    cdn_url: str
    thumbnail_url: str
    title: str | None
    description: str | None
    mime: str
    bytes: int
    width: int | None
    height: int | None
    visibility: str
    view_count: int
    download_count: int
    nsfw_score: float | None
    age_restricted: bool
    tags: list[str]
    hotlink_policy: str
    hotlink_whitelist: list[str]
    sha256: str | None
    phash: str | None
    status: str
    created_at: str
    updated_at: str
    expires_at: str | None


class FileItem(CamelStruct):
    id: str
    url: str
    thumbnail_url: str
    title: str | None
    mime: str
    bytes: int
    width: int | None
    height: int | None
    visibility: str
    view_count: int
    created_at: str


class Pagination(CamelStruct):
    total: int
    limit: int
    offset: int
    has_more: bool
    next_cursor: str | None = None  # pass as `cursor` for the next page


class FileList(CamelStruct):
    files: list[FileItem]
    pagination: Pagination


class PatchIn(CamelStruct, forbid_unknown_fields=True):
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    hotlink_policy: Literal["allow", "block", "whitelist"] | None = None
    hotlink_whitelist: Annotated[list[Host], Meta(max_length=100)] | None = None
    tags: Tags | None = None
    expires_in: Hours | None = None


class PatchOut(CamelStruct):
    message: str
    updated: list[str]
    file: FileOut


class MessageOut(CamelStruct):
    message: str
    file_id: str


class ErrorOut(CamelStruct):
    error: str
    message: str
    details: dict[str, object]
