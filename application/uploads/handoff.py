"""The handoff of upload bytes within one process (application/blobs/handoff.py), as the
composition root sets it up: only where the analysis worker runs in the same process."""

from __future__ import annotations

from pichr.application.blobs.handoff import HandingOff
from pichr.application.blobs.port import BlobStore
from pichr.application.uploads.commands import ORIGINALS


def with_handoff(blobs: BlobStore) -> BlobStore:
    """`blobs`, keeping what a direct PUT streamed for the finalize and the analysis after it."""
    return HandingOff(blobs, prefix=ORIGINALS)
