"""The derived blobs of an analysis (served rendition, WebP thumbnail): written in the
background while the model scores, and durable before the analysis is recorded.

The writes are the store's own (the filesystem store fsyncs each file and its directory before
put() returns): overlapping them with inference hides their latency without weakening them.
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from application.analysis import Derived
from application.blobs import BlobStore

_writer = ThreadPoolExecutor(4, thread_name_prefix="derived-blobs")  # leaf jobs only


def rendition_key(file_id: str) -> str:
    return f"derived/{file_id}/rendition"


def thumbnail_key(file_id: str) -> str:
    return f"derived/{file_id}/thumbnail.webp"


@dataclass(frozen=True, slots=True)
class Writing:
    """One file's derived blobs on their way to the store."""

    facts: Derived
    rendition: bytes
    rendition_mime: str
    rendition_key: str
    thumbnail_key: str
    writes: tuple[Future[str], Future[str]]  # each blob's sha256, once durable

    def fields(self, nsfw_score: float, model: str) -> dict[str, Any]:
        """ImageAnalyzed's fields, once both blobs are durable (a failed write raises here)."""
        rendition_sha256, thumbnail_sha256 = (write.result() for write in self.writes)
        facts, thumbnail = self.facts, self.facts.thumbnail
        return {
            "width": facts.width,
            "height": facts.height,
            "frames": facts.frames,
            "phash": facts.phash,
            "nsfw_score": round(nsfw_score, 6),
            "model": model,
            "rendition_key": self.rendition_key,
            "rendition_size": len(self.rendition),
            "rendition_mime": self.rendition_mime,
            "rendition_sha256": rendition_sha256,
            "thumbnail_key": self.thumbnail_key,
            "thumbnail_size": len(thumbnail),
            "thumbnail_sha256": thumbnail_sha256,
        }


def start_writes(
    blobs: BlobStore, file_id: str, facts: Derived, served: tuple[bytes, str]
) -> Writing:
    """Start writing both blobs. Content-independent keys: a second run overwrites the same
    objects with the same bytes."""
    served_key, thumb_key = rendition_key(file_id), thumbnail_key(file_id)
    writes = (
        _writer.submit(_put, blobs, served_key, served[0]),
        _writer.submit(_put, blobs, thumb_key, facts.thumbnail),
    )
    return Writing(facts, served[0], served[1], served_key, thumb_key, writes)


def _put(blobs: BlobStore, key: str, data: bytes) -> str:
    """Store `data` under `key`; its sha256 (hashed here, off the task's thread)."""
    blobs.put(key, io.BytesIO(data), len(data))
    return hashlib.sha256(data).hexdigest()
