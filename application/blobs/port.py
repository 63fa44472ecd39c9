"""The blob-store port: where upload bytes and derived images live, whatever the backend."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pichr.application.metrics import blob_store_failed

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import timedelta

    from pichr.application.blobs.multipart import BlobEntry, OpenMultipart, PartInfo

DEFAULT_CHUNK_SIZE = 256 * 1024


class BlobNotFoundError(Exception):
    """No blob is stored under the key."""


class BlobStoreUnavailableError(Exception):
    """The store cannot be reached or refused to work (connection refused, timeout, 5xx)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        blob_store_failed()  # each one is a failed call of the store (raised where it failed)


class BodyLengthError(ValueError):
    """An upload body was shorter or longer than the length the caller declared."""


class Readable(Protocol):
    """An upload body: anything with read(n) -> bytes (a file, a request stream, a guard)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    etag: str  # opaque: changes whenever the bytes under the key are replaced


class BlobStore(Protocol):
    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        """Stream `body` to `key`; on any error nothing new is left under the key.

        `length`, when given, is the body's exact size: a body that turns out shorter or longer
        raises BodyLengthError. Errors raised by `body.read` propagate unchanged. An existing
        blob is replaced atomically, and only on success.
        """
        ...

    def stat(self, key: str) -> BlobInfo:
        """Raise BlobNotFoundError when missing."""
        ...

    def read(
        self,
        key: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        """Stream a byte range; BlobNotFoundError is raised by the call, before iterating."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with `prefix` (a string prefix, not a directory)."""
        ...

    def check(self) -> None:
        """Readiness probe: raise BlobStoreUnavailableError when the store cannot be used."""
        ...

    def entries(self, prefix: str = "") -> Iterator[BlobEntry]:
        """Like keys(), with each blob's size and last-written time (for age-based sweeps)."""
        ...

    # -- multipart uploads (application/blobs/multipart.py has the rules) ----------------------

    def initiate_multipart(self, key: str) -> str:
        """Open a multipart upload for `key`; the store's upload id."""
        ...

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        """Stream one part (exactly `length` bytes, else BodyLengthError); replaces a part of
        the same number. On any error nothing new is kept; errors of `body.read` propagate
        unchanged. MultipartNotFoundError when the upload is not open."""
        ...

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        """The parts stored so far, by number; MultipartNotFoundError when not open."""
        ...

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        """Join the named (number, etag) parts into the blob under `key` and close the upload.

        PartsMismatchError when the parts are not stored as named; MultipartNotFoundError
        when the upload is not open (e.g. completed already)."""
        ...

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the upload and its parts; an upload that is not open is not an error."""
        ...

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        """Every open multipart upload whose key starts with `prefix`."""
        ...

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        """A URL a client PUTs the part to directly, or None when the store cannot presign."""
        ...


def check_key(key: str) -> None:
    """Keys are relative, slash-separated paths; every adapter accepts exactly the same ones."""
    segments = key.split("/")
    if not key or "\0" in key or any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"invalid blob key: {key!r}")


def check_range(offset: int, length: int | None, chunk_size: int) -> None:
    """Shared argument check so every adapter rejects the same bad ranges."""
    if offset < 0 or (length is not None and length < 0) or chunk_size <= 0:
        raise ValueError(f"bad range: offset={offset} length={length} chunk_size={chunk_size}")


class TrackedBody:
    """Wraps an upload body for the adapters: counts, checks the length, remembers body errors.

    Adapters must tell "the caller's stream failed" (re-raise it unchanged) from "the store
    failed" (map it to BlobStoreUnavailableError), and both can be OSError.
    """

    def __init__(self, body: Readable, expected: int | None = None) -> None:
        self._body = body
        self._expected = expected
        self._eof = False
        self.size = 0
        self.error: BaseException | None = None

    def read(self, n: int = -1) -> bytes:
        """Exactly n bytes, fewer only at the end: a reader that concatenates per read(),
        as minio does, would otherwise copy quadratically on small chunks."""
        if n == 0:
            return b""  # an empty read is not the end of the body
        first = self._read_once(n)
        if n < 0 or not first or len(first) >= n:
            return first
        # One buffer of the final size, handed out by getvalue() without a copy: a list + join
        # would hold the part twice, and a growing buffer reallocates (copies) as it grows.
        buf = io.BytesIO()
        buf.seek(n - 1)
        buf.write(b"\0")
        buf.seek(0)
        buf.write(first)
        del first
        while buf.tell() < n and (chunk := self._read_once(n - buf.tell())):
            buf.write(chunk)
        buf.truncate(buf.tell())
        return buf.getvalue()

    def _read_once(self, n: int) -> bytes:
        if self._eof:
            return b""
        try:
            chunk = self._body.read(n)
            chunk = chunk if isinstance(chunk, bytes) else bytes(chunk)
            self._account(chunk)
        except BaseException as exc:
            self.error = exc
            raise
        return chunk

    def _account(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._eof = not chunk
        expected = self._expected
        if expected is None:
            return
        if self.size > expected or (self._eof and self.size < expected):
            raise BodyLengthError(f"body is not the declared {expected} bytes")
        if self.size == expected and not self._eof:
            # A reader told the length (minio) never looks past it: check the end now, before
            # the last part is committed.
            if self._body.read(1):
                raise BodyLengthError(f"body is longer than the declared {expected} bytes")
            self._eof = True
