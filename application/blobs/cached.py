"""A BlobStore over a remote store (S3) with a local copy of its hot blobs (blobs/hot_cache.py).

Everything is the store's; writes and deletes under a key also drop its local copies, so a
purged or replaced blob is never sent from here. The serving routes ask `local_copy` for a path
to hand to the server, and stream a miss through `filling` so the next request finds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.handoff import HandingOff
from pichr.application.blobs.hot_cache import HotCache
from pichr.application.blobs.multipart import BlobEntry, OpenMultipart, PartInfo
from pichr.application.blobs.port import DEFAULT_CHUNK_SIZE, BlobInfo, BlobStore, Readable


@dataclass(frozen=True, slots=True)
class LocalCopy:
    """A blob's bytes in a local file: its path, and where it lies under its root (`blobs/...`
    for the filesystem store, `cache/...` for the hot cache), for an nginx internal location."""

    path: str
    location: str


def local_copy(blobs: BlobStore, key: str, etag: str) -> LocalCopy | None:
    """The file holding `key`'s bytes (tagged `etag`) on this machine, or None."""
    store = _inner(blobs)
    if isinstance(store, FilesystemBlobStore):
        path = store.local_path(key)
        return LocalCopy(path, "blobs/" + key) if path is not None else None
    if isinstance(store, Cached):
        found = store.cache.path(key, etag)
        if found is None:
            return None
        return LocalCopy(str(found), "cache/" + found.relative_to(store.cache.root).as_posix())
    return None


def filling(
    blobs: BlobStore, key: str, etag: str, size: int, chunks: Iterator[bytes]
) -> Iterator[bytes]:
    """`chunks`, the whole blob, kept on the way when `blobs` caches it locally."""
    store = _inner(blobs)
    if isinstance(store, Cached):
        return store.cache.filling(key, etag, size, chunks)
    return chunks


def evict(blobs: BlobStore, key: str) -> None:
    store = _inner(blobs)
    if isinstance(store, Cached):
        store.cache.evict(key)


def _inner(blobs: BlobStore) -> BlobStore:
    while isinstance(blobs, HandingOff):
        blobs = blobs.store
    return blobs


class Cached:
    def __init__(self, store: BlobStore, cache: HotCache) -> None:
        self.store = store
        self.cache = cache

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        self.cache.evict(key)
        try:
            return self.store.put(key, body, length)
        finally:
            self.cache.evict(key)  # a fill that raced with the put

    def stat(self, key: str) -> BlobInfo:
        return self.store.stat(key)

    def read(
        self, key: str, offset: int = 0, length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:  # fmt: skip
        return self.store.read(key, offset, length, chunk_size)

    def delete(self, key: str) -> None:
        self.cache.evict(key)
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
        self.cache.evict(key)
        return self.store.complete_multipart(key, upload_id, parts)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self.store.abort_multipart(key, upload_id)

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        return self.store.multipart_uploads(prefix)

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        return self.store.presigned_part_url(key, upload_id, number, expires)
