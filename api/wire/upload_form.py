"""Wire schema of the one-request upload: finalize's answer, plus an anonymous upload's means
of deleting it (`DELETE {deleteUrl}` with `X-Delete-Token: {deleteToken}`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from msgspec import UNSET, UnsetType

from pichr.api.wire.inputs import upload_request
from pichr.api.wire.uploads import FinalizeOut, PresignIn
from pichr.application.uploads.commands import UploadRequest
from pichr.domain.errors import InvalidInputError


class UploadOut(FinalizeOut):
    delete_token: str | UnsetType = UNSET  # anonymous uploads only
    delete_url: str | UnsetType = UNSET


def upload_out(done: FinalizeOut, delete_token: str | None, api_base: str) -> UploadOut:
    fields = msgspec.structs.asdict(done)
    if delete_token is None:
        return UploadOut(**fields)
    url = f"{api_base}/api/v1/files/{done.file_id}"
    return UploadOut(**fields, delete_token=delete_token, delete_url=url)


def form_request(fields: dict[str, str], max_bytes: int) -> UploadRequest:
    """The text fields as presign takes them (its validation, its error format); the body's
    name, type, size and hash come from the spool (application/uploads/one_request.py)."""
    raw: dict[str, object] = {"filename": "image", "mime": "image/jpeg", "bytes": 1}
    for name in ("title", "description", "visibility", "expiresIn"):
        if fields.get(name):
            raw[name] = fields[name]
    raw["tags"] = [t.strip() for t in fields.get("tags", "").split(",") if t.strip()]
    try:
        data = msgspec.convert(raw, PresignIn, strict=False)
    except msgspec.ValidationError as exc:
        where = re.search(r"at `\$\.(\w+)", str(exc))
        field = where.group(1) if where else "file"
        raise InvalidInputError(str(exc), field=field) from None
    return upload_request(data, data.bytes, max_bytes)


def _text(description: str, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **extra)


FORM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="The image in `file`, or a `url` to fetch; the other fields are optional.",
    properties={
        "file": _text("The image (JPEG, PNG, GIF, WebP, AVIF, HEIC)", format="binary"),
        "url": _text("Instead of `file`: an http(s) URL of the image", format="uri"),
        "title": _text("Title", max_length=200),
        "description": _text("Description", max_length=5000),
        "visibility": _text("public, unlisted or private", enum=["public", "unlisted", "private"]),
        "tags": _text("Comma-separated tags"),
        "albumId": _text("An album of the caller's to add the file to (needs `write`)"),
        "expiresIn": Schema(type=OpenAPIType.INTEGER, minimum=1, description="Hours"),
    },
)


@dataclass
class UploadFormOperation(Operation):
    """The operation, with its multipart/form-data body (the handler reads the stream itself,
    so Litestar cannot infer one)."""

    def __post_init__(self) -> None:
        form = OpenAPIMediaType(schema=FORM_SCHEMA)
        self.request_body = RequestBody(content={"multipart/form-data": form}, required=True)
