"""A restore's blobs: from the archive into the store, each checked against the log's sha256."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tarfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from pichr.application.blobs.port import BlobStore
from pichr.scripts import backup_archive as archive
from pichr.scripts.backup_blobs import HashingReader

log = logging.getLogger("pichr.backup")


class BlobMismatchError(ValueError):
    """An archived blob is not the one the log records."""


# Small blobs are read whole, checked, and written by a few threads (a store's write waits on
# the disk or the network, not the CPU); a large one streams through the hash to the store.
IN_MEMORY_MAX = 8 << 20
WRITERS = 8


def put_blobs(
    tar: tarfile.TarFile, keys: list[str], logged: dict[str, str], blobs: BlobStore
) -> None:
    """Each blob of `keys` from the archive into the store, its sha256 checked against the
    log's (`logged`); on any failure the blobs written are deleted again."""
    put: list[str] = []
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            pending: deque[Future[object]] = deque()
            for done, key in enumerate(keys, 1):
                put.append(key)  # first: a failed restore deletes all it may have written
                pending.append(pool.submit(_put_one, tar, key, logged, blobs))
                while len(pending) > 2 * WRITERS or (pending and pending[0].done()):
                    pending.popleft().result()
                if done % 100 == 0 or done == len(keys):
                    fields = {"done": done, "of": len(keys)}
                    log.info("blobs restored", extra={"fields": fields})
            while pending:
                pending.popleft().result()
    except BaseException:
        for key in put:
            with contextlib.suppress(Exception):
                blobs.delete(key)
        raise


def _put_one(tar: tarfile.TarFile, key: str, logged: dict[str, str], blobs: BlobStore) -> object:
    with _reading:  # one tar, read by one thread at a time
        member = tar.getmember(archive.blob_member(key))
        data = _whole(tar, member) if member.size <= IN_MEMORY_MAX else None
        if data is None:  # large: stream it while holding the tar
            reader = HashingReader(_chunks(tar, member))
            blobs.put(key, reader, member.size)
            _check(key, reader.sha256.hexdigest(), logged)
            return key
    _check(key, hashlib.sha256(data).hexdigest(), logged)  # checked before it is written
    return blobs.put(key, io.BytesIO(data), len(data))


_reading = threading.Lock()


def _whole(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    data = tar.extractfile(member)
    return data.read() if data is not None else b""


def _chunks(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[bytes]:
    data = tar.extractfile(member)
    while data is not None and (chunk := data.read(1 << 20)):
        yield chunk


def _check(key: str, digest: str, logged: dict[str, str]) -> None:
    if digest != logged.get(key):
        raise BlobMismatchError(f"blob {key} does not match the sha256 the log records")
