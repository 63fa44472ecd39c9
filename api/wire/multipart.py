"""Wire schemas of the multipart upload routes (camelCase, as the reference spells them), and
the views of a multipart upload in them."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from pichr.api.wire.schemas import CamelStruct, Description, Hours, Sha256, Tags, Title, Visibility
from pichr.application.multipart.commands import MultipartView

PartNumber = Annotated[int, Meta(ge=1, le=10_000)]
Id = Annotated[str, Meta(min_length=1, max_length=64)]


class MultipartInitIn(CamelStruct, forbid_unknown_fields=False):
    filename: Annotated[str, Meta(min_length=1, max_length=255)]
    mime: Annotated[str, Meta(min_length=1, max_length=100)]
    total_bytes: Annotated[int, Meta(ge=1)]
    part_size: Annotated[int, Meta(ge=1)]  # every part but the last: >= 5 MiB
    sha256: Sha256 | None = None  # of the whole file; checked when the parts are joined
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility = "public"
    tags: Tags = msgspec.field(default_factory=list)
    expires_in: Hours | None = None


class PartUrl(CamelStruct):
    part_number: int
    upload_url: str  # PUT the part's bytes here, exactly its size


class MultipartInitOut(CamelStruct):
    upload_id: str
    file_id: str
    r2_key: str
    part_size: int
    part_count: int
    total_bytes: int
    parts: list[PartUrl]
    message: str


class PartOut(CamelStruct, omit_defaults=True):
    part_number: int
    size: int
    etag: str  # name it in `complete`
    sha256: str | None = None


class MultipartStatusOut(CamelStruct, omit_defaults=True):
    upload_id: str
    file_id: str
    r2_key: str
    status: str  # open | completed | aborted
    total_bytes: int
    part_size: int
    part_count: int
    parts: list[PartOut]  # the parts that arrived (while open)
    missing: list[int]  # part numbers still to send (while open)
    pending: list[PartUrl]  # fresh upload URLs for the missing parts
    etag: str | None = None  # once completed


class CompletePart(CamelStruct):
    part_number: PartNumber
    etag: Annotated[str, Meta(min_length=1, max_length=200)]


class MultipartCompleteIn(CamelStruct):
    upload_id: Id
    file_id: Id
    parts: Annotated[list[CompletePart], Meta(min_length=1, max_length=10_000)]
    r2_key: str | None = None


class MultipartCompleteOut(CamelStruct):
    file_id: str
    etag: str  # pass as r2Etag to finalize (optional)


class MultipartAbortOut(CamelStruct):
    message: str
    upload_id: str
    file_id: str


def part_urls(view: MultipartView, route: str) -> list[PartUrl]:
    """Each part still to send: the store's own URL, else this server's `route` for it."""
    upload_id = view.upload.upload_id
    return [PartUrl(n, url or f"{route}/{upload_id}/parts/{n}") for n, url in view.part_urls]


def init_out(view: MultipartView, route: str) -> MultipartInitOut:
    u = view.upload
    return MultipartInitOut(
        upload_id=u.upload_id,
        file_id=u.file_id,
        r2_key=u.key,
        part_size=u.part_size,
        part_count=u.part_count,
        total_bytes=u.total_bytes,
        parts=part_urls(view, route),
        message="PUT each part to its uploadUrl, then call complete, then finalize.",
    )


def status_out(view: MultipartView, route: str) -> MultipartStatusOut:
    u, pending = view.upload, part_urls(view, route)
    return MultipartStatusOut(
        upload_id=u.upload_id,
        file_id=u.file_id,
        r2_key=u.key,
        status=u.status,
        total_bytes=u.total_bytes,
        part_size=u.part_size,
        part_count=u.part_count,
        parts=[PartOut(p.number, p.size, p.etag, p.sha256) for p in view.parts],
        missing=[p.part_number for p in pending],
        pending=pending,
        etag=str(u.result["etag"]) if u.status == "completed" else None,
    )
