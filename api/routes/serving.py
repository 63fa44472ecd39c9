"""Serving the image bytes: ETag and 304, single byte ranges, hotlink policy, view counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from anyio import to_thread
from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Stream

from pichr.api.access import bytes_headers, see_file
from pichr.api.routes.served import Served, parse_range, referer_host, rendition, thumbnail
from pichr.api.services import Services
from pichr.api.variants import variant_of
from pichr.api.wire import variants as wire
from pichr.application.imaging.variant_spec import Asked
from pichr.domain.access import check_hotlink
from pichr.domain.principal import Principal
from pichr.projections.queries.rows import FileRow

SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]


@get("/i/{file_id:str}", summary="The image bytes", tags=["serving"], include_in_schema=True)
async def serve_image(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
    w: wire.Width = None,
    h: wire.Height = None,
    fit: wire.Fit = None,
    fmt: wire.Format = None,
    q: wire.Quality = None,
) -> Response[bytes] | Stream:
    """The served rendition: the upload with its metadata stripped (orientation applied); with
    `w`, `h`, `fit`, `format`, `q` or an extension (`/i/{id}.webp`), a variant of it."""
    file_id, extension = wire.split_extension(file_id)
    query = request.query_params.multi_items()
    asked = wire.asked(query, extension, w=w, h=h, fit=fit, fmt=fmt, q=q)
    return await _serve(request, file_id, who, services, safe_mode, rendition, asked)


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
    asked: Asked | None = None,
) -> Response[bytes] | Stream:
    row = see_file(
        await services.reads.file(file_id), who, file_id=file_id, safe_mode=safe_mode,
        threshold=services.nsfw_threshold, serving_bytes=True,
    )  # fmt: skip
    _check_hotlink(request, row, services)
    what = derived(row)
    if asked is not None and asked.anything:
        what = await variant_of(services, row, what, asked)
    headers = _headers(row, what, services.nsfw_threshold)
    if headers["ETag"] in (request.headers.get("if-none-match") or ""):
        return Response(b"", status_code=304, headers=headers)
    span = parse_range(request.headers.get("range"), what.size)
    start, end = span or (0, what.size - 1)
    chunks = await to_thread.run_sync(services.blobs.read, what.key, start, end - start + 1)
    if start == 0 and what.counts_view:
        services.counter.view(file_id)
    headers["Content-Length"] = str(end - start + 1)
    if span is None:
        return Stream(chunks, media_type=what.mime, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{what.size}"
    return Stream(chunks, media_type=what.mime, headers=headers, status_code=206)


def _headers(row: FileRow, what: Served, threshold: float) -> dict[str, str]:
    return {
        "ETag": f'"{what.sha256}"',
        **bytes_headers(row, threshold),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }


def _check_hotlink(request: Request[Any, Any, Any], row: FileRow, services: Services) -> None:
    own_host = urlsplit(services.settings.base_url).hostname or ""
    host = referer_host(request.headers.get("referer"))
    check_hotlink(row.hotlink_policy, row.hotlink_whitelist, host, own_host)
