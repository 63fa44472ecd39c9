"""Local copies of hot blobs from a remote store (S3), so the server sends them by path.

A bounded directory (size-capped, least recently used out first) that survives restarts: an
entry is one file, named by its blob key and the ETag of its bytes, so a blob replaced under the
same key is a miss, never stale bytes. It is filled while a whole blob streams to a client (no
second read, flat memory) and renamed into place only when complete. It decides nothing about
access: the routes ask the access decision first, and only then for a path here. Purges and
deletes evict the key's entries (blobs/cached.py), in any process that shares the directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger("pichr.blobs.cache")
TMP_PREFIX = ".fill-"
TOUCH_EVERY_SECONDS = 60.0  # a hit records its use on disk at most this often (order on restart)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class HotCache:
    def __init__(self, root: Path, max_bytes: int, largest: int | None = None) -> None:
        self.root = Path(os.path.abspath(root))
        self.max_bytes = max_bytes
        self.largest = largest if largest is not None else max(max_bytes // 8, 0)
        self._entries: OrderedDict[str, tuple[int, float]] = OrderedDict()  # name -> size, touched
        self._used = 0
        self._lock = threading.Lock()
        self._load()

    def path(self, key: str, etag: str) -> Path | None:
        """The local copy of `key` holding the bytes tagged `etag`, or None (a miss)."""
        name = self._name(key, etag)
        try:
            size = (self.root / name).stat().st_size
        except OSError:
            self._forget(name)
            return None
        self._used_now(name, size)
        return self.root / name

    def filling(self, key: str, etag: str, size: int, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """`chunks` (the whole blob, `size` bytes) passed on, and kept when all of them came."""
        if size > self.largest or self.max_bytes <= 0:
            yield from chunks
            return
        out, tmp = self._open_temp(key)
        written = 0
        try:
            for chunk in chunks:
                written += len(chunk)
                if out is not None:
                    out = self._write(out, chunk)
                if out is not None and tmp is not None and written == size:
                    # Kept before the last chunk goes: a client that has every byte finds it.
                    out.close()
                    out = None
                    self._adopt(tmp, self._name(key, etag), size)
                    tmp = None
                yield chunk
        finally:
            if out is not None:
                out.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def evict(self, key: str) -> None:
        """Drop every copy of `key`, whatever its ETag."""
        folder, stem = self._name(key, "").split("/")
        with contextlib.suppress(OSError):
            for name in os.listdir(self.root / folder):
                if name.startswith(stem):
                    self._remove(f"{folder}/{name}")

    @property
    def used(self) -> int:
        return self._used

    def _name(self, key: str, etag: str) -> str:
        by_key = _digest(key)
        return f"{by_key[:2]}/{by_key}-{_digest(etag) if etag else ''}"

    def _open_temp(self, key: str) -> tuple[BinaryIO | None, str | None]:
        folder = self.root / _digest(key)[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX)
        except OSError as exc:
            log.warning("blob cache not writable, serving without it: %s", exc)
            return None, None
        return os.fdopen(fd, "wb"), tmp

    @staticmethod
    def _write(out: BinaryIO, chunk: bytes) -> BinaryIO | None:
        try:
            out.write(chunk)
        except OSError as exc:  # a full disk stops the copy, not the answer
            log.warning("blob cache write failed: %s", exc)
            out.close()
            return None
        return out

    def _adopt(self, tmp: str, name: str, size: int) -> None:
        os.replace(tmp, self.root / name)
        with self._lock:
            self._drop_entry(name)
            self._entries[name] = (size, time.time())
            self._used += size
            victims = self._over_cap()
        for victim in victims:
            self._unlink(victim)

    def _over_cap(self) -> list[str]:
        victims = []
        while self._used > self.max_bytes and self._entries:
            name, _ = next(iter(self._entries.items()))
            self._drop_entry(name)
            victims.append(name)
        return victims

    def _used_now(self, name: str, size: int) -> None:
        now = time.time()
        with self._lock:
            known = self._entries.get(name)
            if known is None:  # filled by another process sharing the directory
                self._entries[name] = (size, now)
                self._used += size
                return
            self._entries.move_to_end(name)
            if now - known[1] < TOUCH_EVERY_SECONDS:
                return
            self._entries[name] = (size, now)
        with contextlib.suppress(OSError):
            os.utime(self.root / name, (now, now))

    def _forget(self, name: str) -> None:
        with self._lock:
            self._drop_entry(name)

    def _remove(self, name: str) -> None:
        self._forget(name)
        self._unlink(name)

    def _unlink(self, name: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.root / name)

    def _drop_entry(self, name: str) -> None:
        known = self._entries.pop(name, None)
        if known is not None:
            self._used -= known[0]

    def _load(self) -> None:
        """The entries on disk, oldest use first; unfinished fills go."""
        found: list[tuple[float, str, int]] = []
        with contextlib.suppress(OSError):
            for folder in os.scandir(self.root):
                if folder.is_dir():
                    found += self._scan(folder.path, folder.name)
        for touched, name, size in sorted(found):
            self._entries[name] = (size, touched)
            self._used += size
        for victim in self._over_cap():
            self._unlink(victim)

    def _scan(self, path: str, folder: str) -> list[tuple[float, str, int]]:
        found = []
        for entry in os.scandir(path):
            if entry.name.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            elif entry.is_file():
                st = entry.stat()
                found.append((st.st_mtime, f"{folder}/{entry.name}", st.st_size))
        return found
