"""A file's variants (sizes and formats on request): derived data, not history. No event records
them; each is rendered once from the served rendition and kept in the blob store beside the
thumbnail (`derived/<file>/v/<name>`), deleted with the file's other blobs (the purge lists the
prefix), and kept by the orphan sweep while the file's thumbnail is (`owner_key`).

Written once per name: concurrent first requests of one variant in a process share one render
(across processes both may render, and write the same bytes under the same key). Caps:
`per_file` distinct variants of one file (a crawler cannot turn sizes into disk: 400 past it),
`renders` at once in this process (nor into CPU: 503 with Retry-After past it).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from pichr.application.analysis.derived import thumbnail_key
from pichr.application.blobs.port import BlobNotFoundError, BlobStore
from pichr.application.imaging.variant_spec import Variant
from pichr.application.imaging.variants import render
from pichr.domain.errors import InvalidInputError, UnavailableError

_VARIANT_KEY = re.compile(r"^derived/([^/]+)/v/[^/]+$")
MAX_REMEMBERED = 100_000  # stored variants known by key, per process
SHARED_WAIT = 60.0  # seconds a request waits for another's render of the same variant


def variant_prefix(file_id: str) -> str:
    return f"derived/{file_id}/v/"


def variant_key(file_id: str, variant: Variant) -> str:
    return variant_prefix(file_id) + variant.name


def owner_key(key: str) -> str | None:
    """For a variant's key, the key whose references keep it (its file's thumbnail)."""
    match = _VARIANT_KEY.match(key)
    return thumbnail_key(match.group(1)) if match else None


def variant_etag(source_sha256: str, variant: Variant) -> str:
    """A strong validator: the bytes under a variant's key are a function of the source's
    bytes and the variant's name, and are written once."""
    return hashlib.sha256(f"{source_sha256}/{variant.name}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    size: int


class Variants:
    """A plain class, not a dataclass: handlers receive it inside Services, whose fields the
    framework inspects (a lock is no field type it knows)."""

    def __init__(self, blobs: BlobStore, per_file: int = 24, renders: int = 2) -> None:
        self.blobs = blobs
        self.per_file = per_file  # PICHR_VARIANTS_PER_FILE
        self.renders = renders  # PICHR_VARIANT_RENDERS
        self.joined = 0  # requests that waited for another's render of the same variant
        self._slots = threading.BoundedSemaphore(max(1, renders))
        self._running: dict[str, Future[Stored]] = {}
        self._lock = threading.Lock()
        # Variants this process has seen stored: a hot variant is served without asking the
        # blob store again (written once per name, deleted only with its file, whose access
        # decision refuses it first).
        self._stored: dict[str, Stored] = {}

    def known(self, file_id: str, variant: Variant) -> Stored | None:
        """The variant's blob when this process has seen it stored (no I/O)."""
        return self._stored.get(variant_key(file_id, variant))

    def _remember(self, stored: Stored) -> Stored:
        if len(self._stored) >= MAX_REMEMBERED:
            self._stored.pop(next(iter(self._stored)))
        self._stored[stored.key] = stored
        return stored

    def get_or_render(self, file_id: str, source_key: str, variant: Variant) -> Stored:
        """The variant's blob, rendered from `source_key` first when it is not stored yet."""
        key = variant_key(file_id, variant)
        try:
            return self._remember(Stored(key, self.blobs.stat(key).size))
        except BlobNotFoundError:
            pass
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = mine = Future[Stored]()
            else:
                self.joined += 1
        if running is not None:
            return _shared(running)
        try:
            stored = self._render(file_id, key, source_key, variant)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._running[key]
        mine.set_result(stored)
        return self._remember(stored)

    def _render(self, file_id: str, key: str, source_key: str, variant: Variant) -> Stored:
        self._check_cap(file_id)
        if not self._slots.acquire(blocking=False):
            raise _busy()
        try:
            data = b"".join(self.blobs.read(source_key))
            out = render(data, variant)
            self.blobs.put(key, io.BytesIO(out), len(out))
        finally:
            self._slots.release()
        return Stored(key, len(out))

    def _check_cap(self, file_id: str) -> None:
        made = sum(1 for _ in self.blobs.keys(variant_prefix(file_id)))
        if made >= self.per_file:
            raise InvalidInputError(
                f"This image already has {made} sizes and formats, the most it may have; "
                "ask for one of those, or for the original.",
                variants=made,
                limit=self.per_file,
            )

    def purge(self, file_id: str) -> list[str]:
        """Delete every variant of the file; the keys deleted."""
        keys = list(self.blobs.keys(variant_prefix(file_id)))
        for key in keys:
            self.blobs.delete(key)
        return keys


def _shared(running: Future[Stored]) -> Stored:
    try:
        return running.result(timeout=SHARED_WAIT)
    except FutureTimeout:
        raise _busy() from None


def _busy() -> UnavailableError:
    busy = UnavailableError("Too many images are being resized; retry shortly.", busy=True)
    busy.retry_after = 1
    return busy
