"""Sending one blob to one request, once access is decided: 304s, one byte range, HEAD, and the
bytes themselves handed over without Python touching them where it can.

In order: nginx sends the file (PICHR_ACCEL_REDIRECT, X-Accel-Redirect); else the ASGI server
sends it by path (`http.response.pathsend`: granian does it in Rust) from the filesystem store
or the hot cache of S3 blobs; else the bytes stream in chunks, memory flat, and a whole S3 blob
streamed fills the hot cache on the way. Any blob key works (originals, thumbnails, variants).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from anyio import to_thread
from litestar import Request, Response

from pichr.api.routes.answers import CHUNK, BodyAnswer, open_local
from pichr.api.routes.served import Served, parse_range
from pichr.application.blobs.cached import LocalCopy, filling, local_copy

if TYPE_CHECKING:
    from pichr.api.services import Services


async def send_blob(
    request: Request[Any, Any, Any],
    services: Services,
    what: Served,
    headers: dict[str, str],
    on_bytes: Callable[[], None] | None = None,
) -> Response[bytes]:
    """The answer sending `what` with `headers` (its cache policy); `on_bytes` is called when
    the answer carries the blob from its first byte (a view, a download)."""
    return await send_to(request.method, request.headers, services, what, headers, on_bytes)


async def send_to(
    method: str,
    asked: Mapping[str, str],
    services: Services,
    what: Served,
    headers: dict[str, str],
    on_bytes: Callable[[], None] | None = None,
) -> Response[bytes]:
    """send_blob for a request given by its method and headers (lower-case names)."""
    headers = {**_validators(what), "Accept-Ranges": "bytes", **headers}
    if _not_modified(asked.get("if-none-match"), asked.get("if-modified-since"), what, headers):
        return BodyAnswer(304, headers)
    span = _span(asked.get("range"), asked.get("if-range"), what, headers)
    head = method == "HEAD"
    if on_bytes is not None and not head and (span is None or span[0] == 0):
        on_bytes()
    local = local_copy(services.blobs, what.key, what.sha256)
    if span is None:
        headers["Content-Length"] = str(what.size)
        return await _whole(services, what, headers, local, head=head)
    start, end = span
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{what.size}"
    if head:
        return BodyAnswer(206, headers, what.mime)
    chunks = await _range(services, what, local, start, end - start + 1)
    return BodyAnswer(206, headers, what.mime, chunks=chunks)


async def _whole(
    services: Services, what: Served, headers: dict[str, str], local: LocalCopy | None,
    *, head: bool,
) -> Response[bytes]:  # fmt: skip
    if head:
        return BodyAnswer(200, headers, what.mime)
    accel = services.settings.accel_redirect
    if accel and local is not None:
        del headers["Content-Length"]  # nginx measures the file it sends
        headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + local.location
        return BodyAnswer(200, headers, what.mime)
    if local is not None:
        return BodyAnswer(200, headers, what.mime, path=local.path)
    blobs = services.blobs
    chunks = await to_thread.run_sync(blobs.read, what.key)  # a missing blob fails here: 404/503
    kept = filling(blobs, what.key, what.sha256, what.size, chunks)
    return BodyAnswer(200, headers, what.mime, chunks=kept)


async def _range(
    services: Services, what: Served, local: LocalCopy | None, start: int, length: int
) -> Iterator[bytes]:
    if local is not None:
        try:
            handle = open_local(local.path)
        except OSError:  # evicted since it was found: the store has it
            pass
        else:
            return _file_chunks(handle, start, length)
    return await to_thread.run_sync(services.blobs.read, what.key, start, length)


def _file_chunks(handle: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        while length > 0 and (chunk := handle.read(min(length, CHUNK))):
            length -= len(chunk)
            yield chunk


def _validators(what: Served) -> dict[str, str]:
    etag = {"ETag": f'"{what.sha256}"'}
    if what.modified is None:
        return etag
    return etag | {"Last-Modified": _http_date(what.modified)}


@functools.lru_cache(maxsize=4096)
def _http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _not_modified(
    none_match: str | None, since: str | None, what: Served, headers: dict[str, str]
) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if none_match is not None:
        return none_match.strip() == "*" or headers["ETag"] in _tags(none_match)
    if since is None or what.modified is None:
        return False
    when = _date(since)
    return when is not None and what.modified.replace(microsecond=0) <= when


def _date(text: str) -> datetime | None:
    """An HTTP date (aware, UTC when it names no zone), or None when it is not one."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _span(
    header: str | None, if_range: str | None, what: Served, headers: dict[str, str]
) -> tuple[int, int] | None:
    """The range asked for, unless If-Range names other bytes (then the whole blob)."""
    if header is None:
        return None
    if if_range is not None and if_range.strip() != headers["ETag"]:
        stamp = _date(if_range)
        if stamp is None or what.modified is None or what.modified.replace(microsecond=0) > stamp:
            return None
    return parse_range(header, what.size)


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",")]
