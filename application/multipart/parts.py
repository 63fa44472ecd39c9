"""Pieces of multipart uploads: a part body that checks its checksum, the checks of `complete`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pichr.application.blobs.multipart import PartInfo, bare_etag
from pichr.application.blobs.port import Readable
from pichr.domain.errors import InvalidInputError
from pichr.domain.uploads import MAX_PARTS, MultipartUpload


@dataclass(frozen=True, slots=True)
class PartChecksums:
    """What the client says the part is; each given one is verified. Hex or base64 accepted."""

    md5: str | None = None  # Content-MD5 (base64, as HTTP sends it)
    sha256: str | None = None  # x-amz-checksum-sha256 (base64) or X-Part-Sha256 (hex)

    def normalized(self) -> tuple[str | None, str | None]:
        return _hex(self.md5, 16, "Content-MD5"), _hex(self.sha256, 32, "X-Part-Sha256")


def _hex(value: str | None, size: int, header: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) == size * 2 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise InvalidInputError(f"{header} is not a valid checksum.", field=header)
    return raw.hex()


class CheckedPart:
    """A part body that hashes as it is read and, at its end, refuses a checksum mismatch.

    The refusal is raised from read(), before the store commits the part, so the store keeps
    nothing (every adapter's upload_part leaves nothing when the body raises).
    """

    def __init__(self, body: Readable, checksums: PartChecksums) -> None:
        self._body = body
        self._want_md5, self._want_sha256 = checksums.normalized()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._body.read(size)
        if chunk:
            self._md5.update(chunk)
            self._sha256.update(chunk)
        elif size != 0:
            self._verify()
        return chunk

    def _verify(self) -> None:
        if self._want_md5 and self._md5.hexdigest() != self._want_md5:
            raise InvalidInputError("The part does not match its Content-MD5.", field="Content-MD5")
        if self._want_sha256 and self.sha256 != self._want_sha256:
            raise InvalidInputError("The part does not match its sha256.", field="X-Part-Sha256")

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


class ChunkReader:
    """read(n) over an iterator of chunks (a blob being read back), one chunk held at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._offset = 0

    def read(self, size: int = -1, /) -> bytes:
        while self._offset >= len(self._chunk):
            self._chunk, self._offset = next(self._chunks, b""), 0
            if not self._chunk:
                return b""
        end = len(self._chunk) if size < 0 else min(len(self._chunk), self._offset + size)
        data = self._chunk[self._offset : end]
        self._offset = end
        return data


def check_named_parts(upload: MultipartUpload, named: Sequence[tuple[int, str]]) -> None:
    """`complete` must name every part 1..N once, in ascending order (400 otherwise)."""
    numbers = [n for n, _ in named]
    if len(numbers) > MAX_PARTS:
        raise InvalidInputError("At most 10,000 parts.", field="parts", maxParts=MAX_PARTS)
    if numbers != sorted(set(numbers)):
        raise InvalidInputError("Name each part once, in ascending order.", field="parts")
    wanted = range(1, upload.part_count + 1)
    missing = sorted(set(wanted) - set(numbers))
    extra = sorted(set(numbers) - set(wanted))
    if missing or extra:
        raise InvalidInputError(
            f"This upload has parts 1 to {upload.part_count}; name each of them.",
            field="parts",
            missing=missing[:100],
            unknown=extra[:100],
        )


def check_stored_parts(
    upload: MultipartUpload, named: Sequence[tuple[int, str]], stored: list[PartInfo]
) -> None:
    """Every named part is stored with the named etag and the size its number requires."""
    by_number = {p.number: p for p in stored}
    for number, etag in named:
        part = by_number.get(number)
        if part is None:
            raise InvalidInputError(
                f"Part {number} was not uploaded.", field="parts", missing=[number]
            )
        if part.etag != bare_etag(etag):
            raise InvalidInputError(
                f"Part {number}'s etag does not match the stored part.",
                field="parts",
                partNumber=number,
            )
        if part.size != upload.part_size_of(number):
            raise InvalidInputError(
                f"Part {number} has {part.size} bytes; it must have {upload.part_size_of(number)}"
                " (the declared totalBytes split into partSize parts). Upload it again.",
                field="parts",
                partNumber=number,
            )
