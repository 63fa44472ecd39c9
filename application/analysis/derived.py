"""The derived blobs of an analysis (served rendition, WebP thumbnail): written in the
background while the image decodes and the model scores, durable before the analysis is
recorded.

A rendition that stripping left unchanged is the original itself: its key is recorded, and no
second copy is written (uploads without metadata, such as screenshots, are most uploads).

The writes are the store's own (the filesystem store fsyncs each file and its directory before
put() returns): overlapping them with the analysis hides their latency without weakening them.
A blob written for an analysis that then fails (or crashes) is mentioned by no event: the
orphan sweep deletes it, as it does after a crash between the writes and the record.
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pichr.application.analysis.screening import AskedAhead
from pichr.application.blobs.port import BlobStore
from pichr.application.imaging.analysis import Derived, Deriving, rendition
from pichr.domain.files import File

_writer = ThreadPoolExecutor(4, thread_name_prefix="derived-blobs")  # leaf jobs only


def rendition_key(file_id: str) -> str:
    return f"derived/{file_id}/rendition"


def thumbnail_key(file_id: str) -> str:
    return f"derived/{file_id}/thumbnail.webp"


class DerivedWrites:
    """One file's derived blobs on their way to the store. Content-independent keys: a second
    run overwrites the same objects with the same bytes."""

    def __init__(self, blobs: BlobStore, file_id: str) -> None:
        self.blobs = blobs
        self.file_id = file_id
        self.rendition_size = 0
        self.rendition_mime = ""
        self.writes: dict[str, Future[str]] = {}  # key -> the blob's sha256, once durable
        self.original: tuple[str, str] | None = None  # (key, sha256) when served as it is

    def rendition(
        self, served: tuple[bytes, str], original: bytes, original_key: str, sha256: str | None
    ) -> None:
        """The served bytes; when stripping removed nothing they are the original's, already
        stored under `original_key` (`sha256`: theirs, when known): served from there."""
        data, self.rendition_mime = served
        self.rendition_size = len(data)
        if data == original:
            self.original = (original_key, sha256 or hashlib.sha256(data).hexdigest())
            return
        self._start(rendition_key(self.file_id), data)

    def thumbnail(self, data: bytes) -> None:
        self._start(thumbnail_key(self.file_id), data)

    def _start(self, key: str, data: bytes) -> None:
        self.writes[key] = _writer.submit(_put, self.blobs, key, data)

    def fields(self, facts: Derived, nsfw_score: float, model: str) -> dict[str, Any]:
        """ImageAnalyzed's fields, once both blobs are durable (a failed write raises here)."""
        thumb = thumbnail_key(self.file_id)
        served, served_sha256 = self.original or (rendition_key(self.file_id), "")
        return {
            "width": facts.width,
            "height": facts.height,
            "frames": facts.frames,
            "phash": facts.phash,
            "nsfw_score": round(nsfw_score, 6),
            "model": model,
            "rendition_key": served,
            "rendition_size": self.rendition_size,
            "rendition_mime": self.rendition_mime,
            "rendition_sha256": served_sha256 or self.writes[served].result(),
            "thumbnail_key": thumb,
            "thumbnail_size": len(facts.thumbnail),
            "thumbnail_sha256": self.writes[thumb].result(),
        }


def derive(
    blobs: BlobStore,
    file: File,
    data: bytes,
    ahead: AskedAhead | None,
    step: Deriving | None = None,
) -> tuple[Derived, DerivedWrites]:
    """The facts of `data` (`step`: its decode, when finalize handed it over); each derived
    blob, and the blocklist question, goes out as soon as it is known, so that their I/O
    overlaps the decode and leaves the model run alone."""
    writes = DerivedWrites(blobs, file.file_id)
    # Stored while the image decodes (unless it is the original, stored already).
    writes.rendition(rendition(data), data, file.stored_key, file.stored.get("sha256"))
    step = step or Deriving(data)
    if ahead is not None:
        ahead.ask(file.stored.get("sha256"), step.phash, file.file_id)
    writes.thumbnail(step.thumbnail)
    return step.result(), writes


def _put(blobs: BlobStore, key: str, data: bytes) -> str:
    """Store `data` under `key`; its sha256 (hashed here, off the task's thread)."""
    blobs.put(key, io.BytesIO(data), len(data))
    return hashlib.sha256(data).hexdigest()
