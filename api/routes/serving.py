"""Serving the image bytes: ETag and 304, single byte ranges, hotlink policy, view counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from anyio import to_thread
from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Stream

from pichr.api.access import bytes_headers, see_file
from pichr.api.services import Services
from pichr.domain.access import check_hotlink
from pichr.domain.errors import NotReadyError, RangeNotSatisfiableError
from pichr.domain.principal import Principal
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
    sha256: str
    counts_view: bool = False


THUMBNAIL_MIME = "image/webp"


def rendition(row: FileRow) -> Served:
    """The upload with its metadata stripped: what /i and the download serve."""
    key, size = row.rendition_key, row.rendition_bytes
    return _served(key, size, row.rendition_mime, row.rendition_sha256, counts_view=True)


def thumbnail(row: FileRow) -> Served:
    key, size = row.thumbnail_key, row.thumbnail_bytes
    return _served(key, size, THUMBNAIL_MIME, row.thumbnail_sha256, counts_view=False)


def _served(
    key: str | None, size: int | None, mime: str | None, sha256: str | None, *, counts_view: bool
) -> Served:
    """The analysis writes all four at once; see_file(serving_bytes=True) lets only analyzed
    files through, so a missing one is a file still being processed."""
    if key is None or size is None or mime is None or sha256 is None:
        raise NotReadyError("The image is still being processed.", processing=True)
    return Served(key, size, mime, sha256, counts_view)


SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]


@get("/i/{file_id:str}", summary="The image bytes", tags=["serving"], include_in_schema=True)
async def serve_image(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
) -> Response[bytes] | Stream:
    """The served rendition: the upload with its metadata stripped (orientation applied)."""
    return await _serve(request, file_id, who, services, safe_mode, rendition)


@get("/t/{file_id:str}", summary="The thumbnail (WebP)", tags=["serving"], include_in_schema=True)
async def serve_thumbnail(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
) -> Response[bytes] | Stream:
    """A WebP at most 320 px on the long side; the same access and caching rules as /i."""
    return await _serve(request, file_id, who, services, safe_mode, thumbnail)


async def _serve(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: str | None,
    derived: Callable[[FileRow], Served],
) -> Response[bytes] | Stream:
    row = see_file(
        await services.reads.file(file_id),
        who,
        file_id=file_id,
        safe_mode=safe_mode,
        threshold=services.nsfw_threshold,
        serving_bytes=True,
    )
    own_host = urlsplit(services.settings.base_url).hostname or ""
    host = referer_host(request.headers.get("referer"))
    check_hotlink(row.hotlink_policy, row.hotlink_whitelist, host, own_host)
    what = derived(row)
    etag = f'"{what.sha256}"'
    headers = {
        "ETag": etag,
        **bytes_headers(row, services.nsfw_threshold),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(b"", status_code=304, headers=headers)
    size = what.size
    span = parse_range(request.headers.get("range"), size)
    start, end = span or (0, size - 1)
    chunks = await to_thread.run_sync(services.blobs.read, what.key, start, end - start + 1)
    if start == 0 and what.counts_view:
        services.counter.view(file_id)
    headers["Content-Length"] = str(end - start + 1)
    if span is None:
        return Stream(chunks, media_type=what.mime, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Stream(chunks, media_type=what.mime, headers=headers, status_code=206)
