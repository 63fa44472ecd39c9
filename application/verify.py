"""Finalize's check of the stored object: same bytes as recorded, and a decodable image."""

from __future__ import annotations

import hashlib
import tempfile
from typing import Any

from application.blobs import BlobStore
from application.imaging import ImageFacts, inspect_image
from domain.errors import ConflictError

SPOOL_BYTES = 8 * 1024 * 1024


def verify_stored(blobs: BlobStore, key: str, stored: dict[str, Any]) -> ImageFacts:
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in blobs.read(key):
            digest.update(chunk)
            spool.write(chunk)
        if digest.hexdigest() != stored["sha256"]:
            raise ConflictError("The stored object changed since it was uploaded.")
        spool.seek(0)
        return inspect_image(spool, stored["mime"])
