"""An upload body whose size is not known in advance (one-request upload, URL ingest), held while
it arrives: in memory up to IN_MEMORY bytes, then in a temporary file, so memory stays flat.
The size limit and the type are checked as the bytes arrive, before anything is recorded; the
spool then feeds the same `Uploads.store` a direct PUT feeds."""

from __future__ import annotations

import tempfile
from types import TracebackType

from pichr.application.imaging.sniff import ACCEPTED, UnsupportedMediaError, sniff_mime
from pichr.application.uploads.guarded import SNIFF_BYTES, TooLargeError
from pichr.domain.errors import InvalidInputError

IN_MEMORY = 1024 * 1024  # larger bodies go to a temporary file
MAX_NAME = 255


class Spool:
    def __init__(self, limit: int, filename: str, field: str = "file") -> None:
        self.limit = limit
        self.filename = filename[-MAX_NAME:]  # as presign's `filename`; the end keeps the type
        self.field = field
        self.size = 0
        self.mime: str | None = None
        self._head = b""
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115

    def expect(self, size: int) -> None:
        """413 when the body is known to be larger than the limit (before reading it)."""
        if size > self.limit:
            raise TooLargeError(
                "The file exceeds the size limit.", limit="maxFileBytes", maxFileBytes=self.limit
            )

    def write(self, chunk: bytes | bytearray) -> None:
        self.size += len(chunk)
        self.expect(self.size)
        if self.mime is None:
            self._head += bytes(chunk[: SNIFF_BYTES - len(self._head)])
            if len(self._head) >= SNIFF_BYTES:
                self._sniff()
        self._file.write(chunk)

    def finish(self) -> None:
        """The body is complete: an empty one is a 400, a short one is sniffed now."""
        if self.size == 0:
            raise InvalidInputError("The file is empty.", field=self.field)
        if self.mime is None:
            self._sniff()
        self._file.seek(0)

    def _sniff(self) -> None:
        self.mime = sniff_mime(self._head)
        if self.mime is None:
            raise UnsupportedMediaError(
                "Only JPEG, PNG, GIF, WebP, AVIF and HEIC/HEIF images are accepted.",
                field=self.field,
                accepted=list(ACCEPTED),
            )

    def read(self, size: int = -1, /) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
