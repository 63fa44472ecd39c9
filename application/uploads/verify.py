"""Finalize's check of the stored object: same bytes as recorded, and a decodable image."""

from __future__ import annotations

import hashlib
import tempfile
from typing import Any

from pichr.application.blobs.handoff import keep_with, keeps, kept_blob
from pichr.application.blobs.port import BlobStore
from pichr.application.imaging.sniff import (
    ImageFacts,
    check_declared,
    declared_type_errors,
    inspect_image,
)
from pichr.domain.errors import ConflictError

SPOOL_BYTES = 8 * 1024 * 1024


def verify_stored(blobs: BlobStore, key: str, stored: dict[str, Any]) -> ImageFacts:
    """When `blobs` hands blobs on to an analysis worker of this process (blobs/handoff.py),
    the first frame is decoded as the analysis decodes it, and kept with the bytes for that
    worker: each image is read and decoded once, not twice (and read from memory when the PUT
    went through this process)."""
    if keeps(blobs, int(stored["size"])):
        return _verify_for_analysis(blobs, key, stored)
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in blobs.read(key):
            digest.update(chunk)
            spool.write(chunk)
        _check_digest(digest.hexdigest(), stored)
        spool.seek(0)
        return inspect_image(spool, stored["mime"])


def _verify_for_analysis(blobs: BlobStore, key: str, stored: dict[str, Any]) -> ImageFacts:
    from pichr.application.imaging.analysis import Deriving  # noqa: PLC0415  (the image pipeline's imports)

    kept = kept_blob(blobs, key)
    if kept is not None:
        data = kept.data  # this process's PUT stored (and hashed) these very bytes
    else:
        data = b"".join(blobs.read(key))
        _check_digest(hashlib.sha256(data).hexdigest(), stored)
    with declared_type_errors(stored["mime"]):
        step = Deriving(data)
    check_declared(step.mime, stored["mime"])
    keep_with(blobs, key, data, step, step.frame_bytes)
    width, height = step.size
    return ImageFacts(mime=step.mime, width=width, height=height)


def _check_digest(sha256: str, stored: dict[str, Any]) -> None:
    if sha256 != stored["sha256"]:
        raise ConflictError("The stored object changed since it was uploaded.")
