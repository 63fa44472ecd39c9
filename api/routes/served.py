"""What the byte routes serve (/i, /t, the download): which derived object of a file, which
byte range of it, and the pieces of their headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from pichr.domain.errors import NotReadyError, RangeNotSatisfiableError
from pichr.projections.queries.rows import FileRow

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_DIGITS = 18  # 10**18 bytes: larger than any stored object


def content_disposition(filename: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename) or "image"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single satisfiable range; None for no/ignored ranges."""
    match = _RANGE.match((header or "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        start, end = max(0, size - _position(last)), size - 1
    else:
        start, end = _position(first), min(_position(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiableError("The range is not satisfiable.", size=size)
    return start, end


def _position(digits: str) -> int:
    """A byte position. One of more digits than any size has lies past every end: int() is
    not asked (it refuses over 4300 digits, and would spend time on fewer)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _DIGITS else 10**_DIGITS


def referer_host(referer: str | None) -> str | None:
    try:
        return urlsplit(referer).hostname if referer else None
    except ValueError:  # `http://[::1`: no host to trust, so a foreign page
        return referer


@dataclass(frozen=True, slots=True)
class Served:
    """A derived object a route serves: the rendition (a view when served whole) or the
    thumbnail."""

    key: str
    size: int
    mime: str
    sha256: str  # the strong ETag
    counts_view: bool = False
    modified: datetime | None = None  # Last-Modified: when these bytes were made


THUMBNAIL_MIME = "image/webp"


def rendition(row: FileRow) -> Served:
    """The upload with its metadata stripped: what /i and the download serve."""
    key, size = row.rendition_key, row.rendition_bytes
    return _served(key, size, row.rendition_mime, row.rendition_sha256, row, counts_view=True)


def thumbnail(row: FileRow) -> Served:
    key, size = row.thumbnail_key, row.thumbnail_bytes
    return _served(key, size, THUMBNAIL_MIME, row.thumbnail_sha256, row, counts_view=False)


def _served(
    key: str | None, size: int | None, mime: str | None, sha256: str | None, row: FileRow,
    *, counts_view: bool,
) -> Served:  # fmt: skip
    """The analysis writes all four at once; see_file(serving_bytes=True) lets only analyzed
    files through, so a missing one is a file still being processed."""
    if key is None or size is None or mime is None or sha256 is None:
        raise NotReadyError("The image is still being processed.", processing=True)
    return Served(key, size, mime, sha256, counts_view, row.analyzed_at)
