"""Wire schemas: one msgspec Struct per direction, camelCase as the reference spells it."""

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


class PresignIn(Struct, forbid_unknown_fields=False):
    filename: Annotated[str, Meta(min_length=1, max_length=255)]
    mime: Annotated[str, Meta(min_length=1, max_length=100)]
    bytes: Annotated[int, Meta(ge=1)]
    sha256: Sha256 | None = None
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility = "public"
    tags: Tags = msgspec.field(default_factory=list)
    expiresIn: Hours | None = None  # noqa: N815 (wire name)


class PresignOut(Struct, omit_defaults=True):
    uploadId: str  # noqa: N815
    uploadUrl: str  # noqa: N815
    fileId: str  # noqa: N815
    r2Key: str  # noqa: N815
    message: str
    deleteToken: str | None = None  # noqa: N815


class DirectOut(Struct):
    fileId: str  # noqa: N815
    url: str
    mime: str
    bytes: int
    status: str
    r2Key: str  # noqa: N815  (the object this PUT wrote; finalize accepts it or presign's)
    etag: str


class FinalizeIn(Struct):
    uploadId: Annotated[str, Meta(min_length=1, max_length=64)]  # noqa: N815
    fileId: Annotated[str, Meta(min_length=1, max_length=64)]  # noqa: N815
    r2Key: str | None = None  # noqa: N815
    r2Etag: str | None = None  # noqa: N815
    # Client-computed values are accepted for compatibility and never trusted.
    width: int | None = None
    height: int | None = None
    phash: str | None = None
    nsfwScore: float | None = None  # noqa: N815


class Duplicate(Struct):
    fileId: str  # noqa: N815
    kind: str
    distance: int | None = None


class FinalizeOut(Struct):
    fileId: str  # noqa: N815
    url: str
    cdnUrl: str  # noqa: N815
    mime: str
    bytes: int
    width: int | None
    height: int | None
    nsfwScore: float | None  # noqa: N815
    ageRestricted: bool  # noqa: N815
    visibility: str
    expiresAt: str | None  # noqa: N815
    phash: str | None
    duplicates: list[Duplicate]
    status: str = "ready"


class FileOut(Struct):
    id: str
    url: str
    cdnUrl: str  # noqa: N815
    thumbnailUrl: str  # noqa: N815
    title: str | None
    description: str | None
    mime: str
    bytes: int
    width: int | None
    height: int | None
    visibility: str
    viewCount: int  # noqa: N815
    downloadCount: int  # noqa: N815
    nsfwScore: float | None  # noqa: N815
    ageRestricted: bool  # noqa: N815
    tags: list[str]
    hotlinkPolicy: str  # noqa: N815
    hotlinkWhitelist: list[str]  # noqa: N815
    sha256: str | None
    phash: str | None
    status: str
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815
    expiresAt: str | None  # noqa: N815


class FileItem(Struct):
    id: str
    url: str
    thumbnailUrl: str  # noqa: N815
    title: str | None
    mime: str
    bytes: int
    width: int | None
    height: int | None
    visibility: str
    viewCount: int  # noqa: N815
    createdAt: str  # noqa: N815


class Pagination(Struct):
    total: int
    limit: int
    offset: int
    hasMore: bool  # noqa: N815
    nextCursor: str | None = None  # noqa: N815  (pass as `cursor` for the next page)


class FileList(Struct):
    files: list[FileItem]
    pagination: Pagination


class PatchIn(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    hotlinkPolicy: Literal["allow", "block", "whitelist"] | None = None  # noqa: N815
    hotlinkWhitelist: Annotated[list[Host], Meta(max_length=100)] | None = None  # noqa: N815
    tags: Tags | None = None
    expiresIn: Hours | None = None  # noqa: N815


class PatchOut(Struct):
    message: str
    updated: list[str]
    file: FileOut


class MessageOut(Struct):
    message: str
    fileId: str  # noqa: N815


class ErrorOut(Struct):
    error: str
    message: str
    details: dict[str, object]
