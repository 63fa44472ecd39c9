"""Wire schemas of the file routes: a file's record, lists of files, and its changes."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from pichr.api.wire.schemas import (
    CamelStruct,
    Description,
    Host,
    Hours,
    Pagination,
    Tags,
    Title,
    Visibility,
)


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
