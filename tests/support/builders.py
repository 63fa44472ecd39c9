"""The command side on the in-memory event store, callers, images and uploads to drive it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.principal import Principal

MEMORY_ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}  # eventsourcing's in-memory recorders
SCOPES = frozenset({"read", "upload", "write"})


def memory_app() -> PichrApplication:
    """The command side on the in-memory event store: the same application, no database."""
    return PichrApplication(env=dict(MEMORY_ENV))


def new_owner(account_id: str | None = None) -> Principal:
    """A caller with an account and a key (ids are random unless given)."""
    account = account_id or ids.to_public(ids.ACCOUNT, ids.new_uuid())
    key = ids.to_public(ids.KEY, ids.new_uuid())
    return Principal(account_id=account, key_id=key, scopes=SCOPES, plan="free")


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 30), seed: int = 0) -> bytes:
    """A real, decodable image made with Pillow; `seed` varies the colour (and so the bytes)."""
    colour = (seed * 37 % 256, seed * 91 % 256, 200)
    img = Image.new("RGB", size, colour)
    buf = io.BytesIO()
    if fmt == "GIF":
        img = img.convert("P")
    img.save(buf, fmt)
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Uploaded:
    file_id: str
    upload_id: str
    blob_key: str  # where the bytes are: the object the PUT wrote
    position: int


def upload(
    uploads: Uploads, who: Principal, data: bytes, mime: str = "image/jpeg", **fields: Any
) -> Uploaded:
    """presign -> store -> finalize, as the API's three calls do."""
    req = UploadRequest(filename="photo.jpg", mime=mime, bytes=len(data), **fields)
    presigned = uploads.presign(who, req)
    file = uploads.store(who, presigned.file_id, presigned.upload_token, io.BytesIO(data))
    position = uploads.finalize(who, presigned.upload_id, presigned.file_id, None, None)
    return Uploaded(presigned.file_id, presigned.upload_id, file.stored_key, position)
