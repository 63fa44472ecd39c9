"""Wire schemas of the multipart upload routes (camelCase, as the reference spells them)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from pichr.api.wire.schemas import Description, Hours, Sha256, Tags, Title, Visibility

PartNumber = Annotated[int, Meta(ge=1, le=10_000)]
Id = Annotated[str, Meta(min_length=1, max_length=64)]


class MultipartInitIn(Struct, forbid_unknown_fields=False):
    filename: Annotated[str, Meta(min_length=1, max_length=255)]
    mime: Annotated[str, Meta(min_length=1, max_length=100)]
    totalBytes: Annotated[int, Meta(ge=1)]  # noqa: N815 (wire name)
    partSize: Annotated[int, Meta(ge=1)]  # noqa: N815  (every part but the last: >= 5 MiB)
    sha256: Sha256 | None = None  # of the whole file; checked when the parts are joined
    title: Title | None = None
    description: Description | None = None
    visibility: Visibility = "public"
    tags: Tags = msgspec.field(default_factory=list)
    expiresIn: Hours | None = None  # noqa: N815


class PartUrl(Struct):
    partNumber: int  # noqa: N815
    uploadUrl: str  # noqa: N815  (PUT the part's bytes here, exactly its size)


class MultipartInitOut(Struct):
    uploadId: str  # noqa: N815
    fileId: str  # noqa: N815
    r2Key: str  # noqa: N815
    partSize: int  # noqa: N815
    partCount: int  # noqa: N815
    totalBytes: int  # noqa: N815
    parts: list[PartUrl]
    message: str


class PartOut(Struct, omit_defaults=True):
    partNumber: int  # noqa: N815
    size: int
    etag: str  # name it in `complete`
    sha256: str | None = None


class MultipartStatusOut(Struct, omit_defaults=True):
    uploadId: str  # noqa: N815
    fileId: str  # noqa: N815
    r2Key: str  # noqa: N815
    status: str  # open | completed | aborted
    totalBytes: int  # noqa: N815
    partSize: int  # noqa: N815
    partCount: int  # noqa: N815
    parts: list[PartOut]  # the parts that arrived (while open)
    missing: list[int]  # part numbers still to send (while open)
    pending: list[PartUrl]  # fresh upload URLs for the missing parts
    etag: str | None = None  # once completed


class CompletePart(Struct):
    partNumber: PartNumber  # noqa: N815
    etag: Annotated[str, Meta(min_length=1, max_length=200)]


class MultipartCompleteIn(Struct):
    uploadId: Id  # noqa: N815
    fileId: Id  # noqa: N815
    parts: Annotated[list[CompletePart], Meta(min_length=1, max_length=10_000)]
    r2Key: str | None = None  # noqa: N815


class MultipartCompleteOut(Struct):
    fileId: str  # noqa: N815
    etag: str  # pass as r2Etag to finalize (optional)


class MultipartAbortOut(Struct):
    message: str
    uploadId: str  # noqa: N815
    fileId: str  # noqa: N815
