"""A BlobStore over a remote store (S3) with a local copy of its hot blobs (blobs/hot_cache.py).

Everything is the store's; writes and deletes under a key also drop its local copies, so a
purged or replaced blob is never sent from here. The serving routes ask `local_copy` for a path
to hand to the server, and stream a miss through `filling` so the next request finds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pichr.application.blobs.forwarding import Forwarding
from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.handoff import HandingOff
from pichr.application.blobs.hot_cache import HotCache
from pichr.application.blobs.port import BlobInfo, BlobStore, Readable


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


class Cached(Forwarding):
    """A BlobStore over `store` whose writes and deletes evict the hot cache's copies."""

    def __init__(self, store: BlobStore, cache: HotCache) -> None:
        super().__init__(store)
        self.cache = cache

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        self.cache.evict(key)
        try:
            return self.store.put(key, body, length)
        finally:
            self.cache.evict(key)  # a fill that raced with the put

    def delete(self, key: str) -> None:
        self.cache.evict(key)
        self.store.delete(key)

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        self.cache.evict(key)
        return self.store.complete_multipart(key, upload_id, parts)
