"""Domain aggregates as the commands leave them, built without the commands' checks (blobs,
quotas, bytes): for tests of what their events fold into."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pichr.domain import ids
from pichr.domain.albums import Album
from pichr.domain.files import File

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SHA256 = "ab" * 32
PHASH = "c3" * 8


def requested_file(owner_id: str = "usr_owner", **fields: Any) -> File:
    """A File as presign leaves it (`fields` override the request's)."""
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    request: dict[str, Any] = {
        "file_id": file_id, "actor": "key_owner", "owner_id": owner_id,
        "upload_id": ids.to_public(ids.UPLOAD, ids.new_uuid()), "filename": "cat.png",
        "mime": "image/png", "declared_bytes": 1234, "sha256": None, "title": "a cat",
        "description": None, "visibility": "public", "tags": ["cat"], "expires_in": None,
        "blob_key": f"uploads/{file_id}/cat.png", "upload_token_digest": None,
        "delete_token_digest": None,
    }  # fmt: skip
    return File(**(request | fields))


def ready_file(owner_id: str = "usr_owner", **fields: Any) -> File:
    """A File stored and finalized (its bytes verified), not yet analyzed."""
    file = requested_file(owner_id, **fields)
    file.record_stored(
        actor="key_owner", key=file.blob_key, size=1200, sha256=SHA256, mime="image/png",
        etag="etag-1",
    )  # fmt: skip
    file.finalize(actor="key_owner", width=640, height=480, now=NOW)
    return file


def analysis(phash: str = PHASH, nsfw_score: float = 0.1, model: str = "m1") -> dict[str, Any]:
    """The worker's results, as ImageAnalyzed (and ImageReanalyzed) carry them."""
    return {
        "width": 640, "height": 480, "frames": 1, "phash": phash, "nsfw_score": nsfw_score,
        "model": model, "rendition_key": f"renditions/{phash}.webp", "rendition_size": 900,
        "rendition_mime": "image/webp", "rendition_sha256": "d4" * 32,
        "thumbnail_key": f"thumbnails/{phash}.webp", "thumbnail_size": 90,
        "thumbnail_sha256": "e5" * 32,
    }  # fmt: skip


def album(owner_id: str = "usr_owner", **fields: Any) -> Album:
    created: dict[str, Any] = {
        "album_id": ids.to_public(ids.ALBUM, ids.new_uuid()), "actor": "key_owner",
        "owner_id": owner_id, "title": "Holidays", "description": None,
        "visibility": "public", "tags": ["sea"],
    }  # fmt: skip
    return Album(**(created | fields))
