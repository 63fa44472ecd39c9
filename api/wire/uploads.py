"""Wire schemas of the upload routes: presign, the direct PUT, finalize."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from pichr.api.wire.schemas import CamelStruct, Description, Hours, Sha256, Tags, Title, Visibility


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
