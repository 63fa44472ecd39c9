"""In-memory blob store: the fake that unit tests pass in instead of a real store."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from application.blobs import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    Readable,
    TrackedBody,
    check_key,
    check_range,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

_READ_SIZE = 1024 * 1024


class InMemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        # Lets unit tests exercise the "store is down" paths without a real outage.
        self.unavailable = False

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        check_key(key)
        self._check_up()
        tracked = TrackedBody(body, length)
        parts: list[bytes] = []
        # Read everything before touching the dict, so a failing body leaves nothing behind.
        while chunk := tracked.read(_READ_SIZE):
            parts.append(chunk)
        data = b"".join(parts)
        etag = hashlib.blake2b(data, digest_size=16).hexdigest()
        with self._lock:
            self._blobs[key] = (data, etag)
        return BlobInfo(key=key, size=len(data), etag=etag)

    def stat(self, key: str) -> BlobInfo:
        data, etag = self._get(key)
        return BlobInfo(key=key, size=len(data), etag=etag)

    def read(
        self,
        key: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        check_range(offset, length, chunk_size)
        data, _ = self._get(key)
        end = len(data) if length is None else min(len(data), offset + length)
        return _chunks(data, offset, end, chunk_size)

    def delete(self, key: str) -> None:
        check_key(key)
        self._check_up()
        with self._lock:
            self._blobs.pop(key, None)

    def keys(self, prefix: str = "") -> Iterator[str]:
        self._check_up()
        with self._lock:
            # Snapshot: callers may delete while iterating.
            found = sorted(k for k in self._blobs if k.startswith(prefix))
        return iter(found)

    def check(self) -> None:
        self._check_up()

    def _get(self, key: str) -> tuple[bytes, str]:
        check_key(key)
        self._check_up()
        with self._lock:
            try:
                return self._blobs[key]
            except KeyError:
                raise BlobNotFoundError(key) from None

    def _check_up(self) -> None:
        if self.unavailable:
            raise BlobStoreUnavailableError("in-memory store marked unavailable")


def _chunks(data: bytes, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for pos in range(start, end, chunk_size):
        yield bytes(view[pos : min(end, pos + chunk_size)])
