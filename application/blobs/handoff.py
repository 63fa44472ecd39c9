"""A blob store that hands blobs on within one process: `pichr serve`, where the analysis worker
runs in the API process, so that nothing reads back a blob this process has just written or
read. The direct PUT's bytes (keys under `prefix`, at most `largest` bytes) are kept as the
store acknowledged them, and reads of them are answered from memory: finalize finds them
there (`kept_blob`), keeps its decode of the first frame with them (`keep_with`), and the
analysis takes both (`kept_blob(..., take=True)`), so each image is read and decoded once.

Only an optimisation: a finalize or a worker in another process, or one that comes after an
entry expired or was evicted (kept.py bounds them), reads (and decodes) the blob itself, with
the same results. The composition root sets it up (uploads/handoff.py); code that asks
`kept_blob` and `keep_with` works the same on any store (nothing is kept there).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pichr.application.blobs.forwarding import Forwarding
from pichr.application.blobs.kept import Kept, KeptBlobs
from pichr.application.blobs.port import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobStore,
    Readable,
    check_range,
)

LARGEST = 16 * 1024 * 1024  # bigger files are verified from a spool, as on any other store


def keeps(blobs: BlobStore, size: int) -> bool:
    """Whether `blobs` hands a blob of `size` bytes on to a later reader in this process."""
    return isinstance(blobs, HandingOff) and size <= blobs.largest


def kept_blob(blobs: BlobStore, key: str, *, take: bool = False) -> Kept | None:
    """The blob as this process stored or verified it, with what a reader made of it; None
    when `blobs` does not hold it in memory. `take`: the last reader here; it is forgotten."""
    if not isinstance(blobs, HandingOff):
        return None
    return blobs.kept.pop(key) if take else blobs.kept.get(key)


def keep_with(blobs: BlobStore, key: str, data: bytes, made: object, extra: int) -> None:
    """Keep `data`, the blob under `key`, with what was made of it (`extra` bytes more) for
    the next reader in this process; nothing on a store that does not hand blobs on."""
    if isinstance(blobs, HandingOff):
        blobs.kept.put(key, data, made, extra)


class HandingOff(Forwarding):
    """A BlobStore over `store`: everything is the store's; a kept blob is also in memory."""

    def __init__(self, store: BlobStore, prefix: str, kept: KeptBlobs | None = None) -> None:
        super().__init__(store)
        self.prefix = prefix
        self.largest = LARGEST
        self.kept = kept if kept is not None else KeptBlobs()

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        keep = key.startswith(self.prefix) and length is not None and length <= self.largest
        keeping = Keeping(body) if keep else None
        info = self.store.put(key, keeping or body, length)
        if keeping is not None:
            self.kept.put(key, keeping.data())
        else:
            self.kept.drop(key)
        return info

    def read(
        self,
        key: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        kept = self.kept.get(key)
        if kept is None:
            return self.store.read(key, offset, length, chunk_size)
        check_range(offset, length, chunk_size)
        end = len(kept.data) if length is None else min(len(kept.data), offset + length)
        return _chunks(kept.data, offset, end, chunk_size)

    def delete(self, key: str) -> None:
        self.kept.drop(key)
        self.store.delete(key)

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        self.kept.drop(key)  # the joined object replaces what was under the key
        return self.store.complete_multipart(key, upload_id, parts)


class Keeping:
    """A body that keeps what was read from it."""

    def __init__(self, body: Readable) -> None:
        self.body = body
        self.chunks: list[bytes] = []

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.body.read(size)
        self.chunks.append(chunk)
        return chunk

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _chunks(data: bytes, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for pos in range(start, end, chunk_size):
        yield bytes(view[pos : min(end, pos + chunk_size)])
