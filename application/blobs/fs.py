"""Filesystem blob store: the embedded default, blobs as files under one root directory."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, BinaryIO

from pichr.application.blobs.fs_io import (
    HIDDEN_PREFIX,
    NOT_FOUND,
    copy_body,
    mapped_errors,
    write_atomically,
)
from pichr.application.blobs.fs_multipart import FsMultipart
from pichr.application.blobs.multipart import BlobEntry, OpenMultipart, PartInfo
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

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import timedelta


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = Path(os.path.abspath(root))
        self._root_text = str(self._root)
        self._multipart = FsMultipart(self._root, self._path)

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        path = self._path(key)
        tracked = TrackedBody(body, length)
        fill = lambda out: copy_body(tracked, out, _ignore)  # noqa: E731
        write_atomically(path.parent, fill, tracked, key, lambda: path.name)
        return self._stat(key, path)

    def stat(self, key: str) -> BlobInfo:
        return self._stat(key, self._path(key))

    def _stat(self, key: str, path: Path) -> BlobInfo:
        with mapped_errors(key):
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
        with mapped_errors(key):
            # Opened eagerly so a missing key fails at the call, not on first iteration.
            handle = path.open("rb")
        return _stream(handle, key, offset, length, chunk_size)

    def local_path(self, key: str) -> str | None:
        """The file holding the blob, for a server to send by path; None when missing. On the
        serving path, for keys the server made: the key is checked, but not resolved through
        symlinks as `_path` does (a dozen system calls per request)."""
        check_key(key)
        if HIDDEN_PREFIX in key and any(p.startswith(HIDDEN_PREFIX) for p in key.split("/")):
            raise ValueError(f"blob key uses the store's reserved prefix: {key!r}")
        path = os.path.join(self._root_text, key)
        try:
            st = os.stat(path)
        except OSError:
            return None
        return path if S_ISREG(st.st_mode) else None

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(BlobNotFoundError), mapped_errors(key):
            path.unlink()

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Walk only the deepest directory the prefix names fully; filter the rest by string.
        base = self._root / prefix.rpartition("/")[0]
        if not base.resolve().is_relative_to(self._root.resolve()):
            return iter(())
        return _walk(self._root, base, prefix)

    def entries(self, prefix: str = "") -> Iterator[BlobEntry]:
        for key in self.keys(prefix):
            with contextlib.suppress(OSError):  # removed since it was listed
                st = (self._root / key).stat()
                yield BlobEntry(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def initiate_multipart(self, key: str) -> str:
        return self._multipart.initiate(key)

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        return self._multipart.upload_part(key, upload_id, number, body, length)

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        return self._multipart.list_parts(key, upload_id)

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        return self._stat(key, self._multipart.complete(key, upload_id, parts))

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self._multipart.abort(key, upload_id)

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        return self._multipart.uploads(prefix)

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        return None  # parts go through the API server

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
        if any(p.startswith(HIDDEN_PREFIX) for p in parts):
            raise ValueError(f"blob key uses the store's reserved prefix: {key!r}")
        path = self._root.joinpath(*parts)
        # A symlink inside the root must not lead outside it either.
        if not path.resolve().is_relative_to(self._root.resolve()):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path


def _stream(
    handle: BinaryIO, key: str, offset: int, length: int | None, chunk_size: int
) -> Iterator[bytes]:
    with handle, mapped_errors(key):
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
        if exc.errno not in NOT_FOUND:
            raise BlobStoreUnavailableError(f"listing {base}: {exc}") from exc

    for dirpath, dirnames, filenames in os.walk(base, onerror=raise_unless_missing):
        # The store's own names (temp files, multipart staging) are never keys.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(HIDDEN_PREFIX))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            key = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not name.startswith(HIDDEN_PREFIX) and key.startswith(prefix):
                yield key


def _info(key: str, st: os.stat_result) -> BlobInfo:
    # mtime ticks are coarse (~4 ms): the inode (new on every put) separates quick replaces.
    etag = f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"
    return BlobInfo(key=key, size=st.st_size, etag=etag)


def _ignore(_: bytes) -> None:
    return None
