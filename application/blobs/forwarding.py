"""A BlobStore that hands every call to the store it wraps: the base of the decorators
(handoff.py keeps uploads in memory for the analysis, cached.py keeps hot S3 blobs on disk),
which override only the calls they change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

from pichr.application.blobs.multipart import BlobEntry, OpenMultipart, PartInfo
from pichr.application.blobs.port import DEFAULT_CHUNK_SIZE, BlobInfo, BlobStore, Readable


class Forwarding:
    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        return self.store.put(key, body, length)

    def stat(self, key: str) -> BlobInfo:
        return self.store.stat(key)

    def read(
        self, key: str, offset: int = 0, length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:  # fmt: skip
        return self.store.read(key, offset, length, chunk_size)

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        return self.store.keys(prefix)

    def check(self) -> None:
        self.store.check()

    def entries(self, prefix: str = "") -> Iterator[BlobEntry]:
        return self.store.entries(prefix)

    def initiate_multipart(self, key: str) -> str:
        return self.store.initiate_multipart(key)

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        return self.store.upload_part(key, upload_id, number, body, length)

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        return self.store.list_parts(key, upload_id)

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        return self.store.complete_multipart(key, upload_id, parts)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self.store.abort_multipart(key, upload_id)

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        return self.store.multipart_uploads(prefix)

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        return self.store.presigned_part_url(key, upload_id, number, expires)
