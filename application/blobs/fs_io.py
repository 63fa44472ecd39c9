"""Low-level pieces of the filesystem blob store: atomic writes, error mapping, hidden names."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from typing import TYPE_CHECKING, BinaryIO

from pichr.application.blobs.port import BlobNotFoundError, BlobStoreUnavailableError, TrackedBody

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

WRITE_CHUNK = 1024 * 1024
# Names the store keeps for itself: temp files beside their target (so os.replace is atomic)
# and the multipart staging area. keys() hides them and no key may use them.
HIDDEN_PREFIX = ".pichr-"
TMP_PREFIX = ".pichr-tmp-"
NOT_FOUND = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR)


@contextlib.contextmanager
def mapped_errors(key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in NOT_FOUND:
            raise BlobNotFoundError(key) from exc
        raise BlobStoreUnavailableError(f"{key}: {exc}") from exc


def write_atomically(
    directory: Path,
    fill: Callable[[BinaryIO], None],
    tracked: TrackedBody | None,
    what: str,
    name: Callable[[], str],
    *,
    make_dirs: bool = True,
) -> Path:
    """Write a temp file in `directory` with `fill`, make it durable, then rename it to `name()`
    (asked after `fill`, so a name may depend on the bytes). The path written.

    On any error nothing new is left. An OSError raised by the caller's body (`tracked`)
    propagates unchanged; other OSErrors are the store's and become BlobStoreUnavailableError.
    """
    tmp: str | None = None
    try:
        if make_dirs:
            directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX)
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())  # the bytes must be durable before the name points at them
        path = directory / name()
        os.replace(tmp, path)
        tmp = None
        fsync_dir(directory)
    except OSError as exc:
        if tracked is not None and exc is tracked.error:
            raise
        raise BlobStoreUnavailableError(f"cannot write {what}: {exc}") from exc
    else:
        return path
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def copy_body(tracked: TrackedBody, out: BinaryIO, observe: Callable[[bytes], None]) -> None:
    while chunk := tracked.read(WRITE_CHUNK):
        observe(chunk)
        out.write(chunk)


def fsync_dir(directory: Path) -> None:
    # Without this the rename itself may be lost on power failure.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
