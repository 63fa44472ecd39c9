"""Filesystem blob store: the embedded default, blobs as files under one root directory."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, BinaryIO

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

_WRITE_CHUNK = 1024 * 1024
# Temp files share the target's directory (so os.replace is atomic); keys() hides them.
_TMP_PREFIX = ".pichr-tmp-"
_NOT_FOUND = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR)


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = Path(os.path.abspath(root))

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        path = self._path(key)
        tracked = TrackedBody(body, length)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
            with os.fdopen(fd, "wb") as out:
                while chunk := tracked.read(_WRITE_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # the bytes must be durable before the name points at them
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(path.parent)
            return _info(key, path.stat())
        except OSError as exc:
            if exc is tracked.error:
                raise
            raise BlobStoreUnavailableError(f"cannot write {key}: {exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def stat(self, key: str) -> BlobInfo:
        path = self._path(key)
        with _mapped_errors(key):
            st = path.stat()
        if not S_ISREG(st.st_mode):
            raise BlobNotFoundError(key)
        return _info(key, st)

    def read(
        self,
        key: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        check_range(offset, length, chunk_size)
        path = self._path(key)
        with _mapped_errors(key):
            # Opened eagerly so a missing key fails at the call, not on first iteration.
            handle = path.open("rb")
        return _stream(handle, key, offset, length, chunk_size)

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(BlobNotFoundError), _mapped_errors(key):
            path.unlink()

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Walk only the deepest directory the prefix names fully; filter the rest by string.
        base = self._root / prefix.rpartition("/")[0]
        if not base.resolve().is_relative_to(self._root.resolve()):
            return iter(())
        return _walk(self._root, base, prefix)

    def check(self) -> None:
        try:
            self._root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BlobStoreUnavailableError(f"blob root {self._root}: {exc}") from exc
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise BlobStoreUnavailableError(f"blob root {self._root} is not writable")

    def _path(self, key: str) -> Path:
        check_key(key)
        parts = key.split("/")
        if any(p.startswith(_TMP_PREFIX) for p in parts):
            raise ValueError(f"blob key uses the reserved temp prefix: {key!r}")
        path = self._root.joinpath(*parts)
        # A symlink inside the root must not lead outside it either.
        if not path.resolve().is_relative_to(self._root.resolve()):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path


@contextlib.contextmanager
def _mapped_errors(key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in _NOT_FOUND:
            raise BlobNotFoundError(key) from exc
        raise BlobStoreUnavailableError(f"{key}: {exc}") from exc


def _stream(
    handle: BinaryIO, key: str, offset: int, length: int | None, chunk_size: int
) -> Iterator[bytes]:
    with handle, _mapped_errors(key):
        handle.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            want = chunk_size if remaining is None else min(chunk_size, remaining)
            chunk = handle.read(want)
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def _walk(root: Path, base: Path, prefix: str) -> Iterator[str]:
    def raise_unless_missing(exc: OSError) -> None:
        if exc.errno not in _NOT_FOUND:
            raise BlobStoreUnavailableError(f"listing {base}: {exc}") from exc

    for dirpath, dirnames, filenames in os.walk(base, onerror=raise_unless_missing):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            key = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not name.startswith(_TMP_PREFIX) and key.startswith(prefix):
                yield key


def _info(key: str, st: os.stat_result) -> BlobInfo:
    # mtime ticks are coarse (~4 ms): the inode (new on every put) separates quick replaces.
    etag = f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"
    return BlobInfo(key=key, size=st.st_size, etag=etag)


def _fsync_dir(directory: Path) -> None:
    # Without this the rename itself may be lost on power failure.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
