"""A body reader that hashes, counts and checks an upload while it streams to the store."""

from __future__ import annotations

import hashlib
from typing import Protocol

from pichr.application.imaging.sniff import normalize_mime, sniff_mime
from pichr.domain.errors import DomainError

SNIFF_BYTES = 32


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class TooLargeError(DomainError):
    """The body is longer than the declared size or the plan allows."""


class SniffFailedError(DomainError):
    """The first bytes are not an accepted image, or not the declared type."""


class GuardedReader:
    """Wraps the request body: enforces the size limit and the type as the bytes arrive."""

    def __init__(self, body: Readable, *, limit: int, declared_mime: str) -> None:
        self._body = body
        self._limit = limit
        self._declared = normalize_mime(declared_mime)
        self._hash = hashlib.sha256()
        self._head = b""
        self.size = 0
        self.mime: str | None = None

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._body.read(size)
        if not chunk:
            if self.mime is None and self.size:
                self._sniff(final=True)
            return b""
        self.size += len(chunk)
        if self.size > self._limit:
            raise TooLargeError(
                "The body is longer than declared.", limit=self._limit, received=self.size
            )
        self._hash.update(chunk)
        if self.mime is None:
            self._head += chunk[:SNIFF_BYTES]
            if len(self._head) >= SNIFF_BYTES:
                self._sniff(final=False)
        return chunk

    def _sniff(self, *, final: bool) -> None:
        mime = sniff_mime(self._head)
        if mime is None:
            raise SniffFailedError("The body is not an accepted image type.")
        if mime != self._declared:
            raise SniffFailedError(
                "The bytes do not match the declared type.", declared=self._declared, actual=mime
            )
        self.mime = mime

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()
