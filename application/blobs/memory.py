"""In-memory blob store: the fake that unit tests pass in instead of a real store."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pichr.application.blobs.multipart import (
    BlobEntry,
    MultipartNotFoundError,
    OpenMultipart,
    PartInfo,
    check_local_upload_id,
    check_part_number,
    parts_to_join,
)
from pichr.application.blobs.port import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    Readable,
    TrackedBody,
    check_key,
    check_range,
)
from pichr.domain import ids

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import timedelta

_READ_SIZE = 1024 * 1024


class InMemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, str]] = {}
        self._modified: dict[str, datetime] = {}
        self._uploads: dict[str, _Upload] = {}
        self._lock = threading.Lock()
        # Lets unit tests exercise the "store is down" paths without a real outage.
        self.unavailable = False

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        check_key(key)
        self._check_up()
        data = _read_all(TrackedBody(body, length))
        return self._store(key, data)

    def _store(self, key: str, data: bytes) -> BlobInfo:
        etag = hashlib.blake2b(data, digest_size=16).hexdigest()
        with self._lock:
            self._blobs[key] = (data, etag)
            self._modified[key] = datetime.now(UTC)
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
            self._modified.pop(key, None)

    def keys(self, prefix: str = "") -> Iterator[str]:
        self._check_up()
        with self._lock:
            # Snapshot: callers may delete while iterating.
            found = sorted(k for k in self._blobs if k.startswith(prefix))
        return iter(found)

    def check(self) -> None:
        self._check_up()

    def entries(self, prefix: str = "") -> Iterator[BlobEntry]:
        self._check_up()
        with self._lock:
            found = [
                BlobEntry(k, len(self._blobs[k][0]), self._modified[k])
                for k in sorted(self._blobs)
                if k.startswith(prefix)
            ]
        return iter(found)

    def initiate_multipart(self, key: str) -> str:
        check_key(key)
        self._check_up()
        upload_id = ids.random_token(24)
        with self._lock:
            self._uploads[upload_id] = _Upload(key, datetime.now(UTC))
        return upload_id

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        check_part_number(number)
        self._open(key, upload_id)
        data = _read_all(TrackedBody(body, length))
        part = PartInfo(number, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
        with self._lock:
            self._open(key, upload_id).parts[number] = (part, data)
        return part

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        with self._lock:
            parts = self._open(key, upload_id).parts
            return [parts[n][0] for n in sorted(parts)]

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        with self._lock:
            stored = self._open(key, upload_id).parts
            chosen = parts_to_join(parts, {n: p for n, (p, _) in stored.items()})
            data = b"".join(stored[p.number][1] for p in chosen)
            del self._uploads[upload_id]
        return self._store(key, data)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self._check_up()
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is not None and upload.key == key:
                del self._uploads[upload_id]

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        self._check_up()
        with self._lock:
            found = [
                OpenMultipart(u.key, upload_id, u.initiated)
                for upload_id, u in self._uploads.items()
                if u.key.startswith(prefix)
            ]
        return iter(found)

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        return None  # parts go through the API server

    def _open(self, key: str, upload_id: str) -> _Upload:
        check_key(key)
        check_local_upload_id(upload_id)
        self._check_up()
        upload = self._uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise MultipartNotFoundError(upload_id)
        return upload

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


@dataclass
class _Upload:
    key: str
    initiated: datetime
    parts: dict[int, tuple[PartInfo, bytes]] = field(default_factory=dict)


def _read_all(tracked: TrackedBody) -> bytes:
    # Read everything before storing, so a failing body leaves nothing behind.
    parts: list[bytes] = []
    while chunk := tracked.read(_READ_SIZE):
        parts.append(chunk)
    return b"".join(parts)


def _chunks(data: bytes, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for pos in range(start, end, chunk_size):
        yield bytes(view[pos : min(end, pos + chunk_size)])
