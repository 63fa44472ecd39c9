"""Serving the image bytes: ETag and 304, single byte ranges, hotlink policy, view counts."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from anyio import to_thread
from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Stream

from api.access import safe_mode_off, visible
from api.errors import ApiError
from api.services import Services
from application.principal import Principal

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ApiError(416, "The range is not satisfiable.", size=size)
    return start, end


def hotlink_allowed(row: dict[str, Any], referer: str | None, own_host: str) -> bool:
    policy = row["hotlink_policy"]
    host = urlsplit(referer).hostname if referer else None
    if policy == "allow" or not host or host == own_host:
        return True
    return policy == "whitelist" and host in row["hotlink_whitelist"]


@get("/i/{file_id:str}", summary="The image bytes", tags=["serving"], include_in_schema=True)
async def serve_image(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)] = None,
) -> Response[bytes] | Stream:
    row = visible(
        await services.reads.file(file_id),
        who,
        file_id=file_id,
        safe_mode_off=safe_mode_off(safe_mode),
        threshold=services.nsfw_threshold,
        serving_bytes=True,
    )
    own_host = urlsplit(services.settings.base_url).hostname or ""
    if not hotlink_allowed(row, request.headers.get("referer"), own_host):
        raise ApiError(403, "Hotlinking this image is not allowed.", policy=row["hotlink_policy"])
    etag = f'"{row["sha256"]}"'
    cache = (
        "private, max-age=0, must-revalidate"
        if row["visibility"] == "private"
        else ("public, max-age=86400")
    )
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(b"", status_code=304, headers=headers)
    size = int(row["bytes"])
    span = parse_range(request.headers.get("range"), size)
    start, end = span or (0, size - 1)
    chunks = await to_thread.run_sync(services.blobs.read, row["blob_key"], start, end - start + 1)
    if start == 0:
        services.counter.view(file_id)
    headers["Content-Length"] = str(end - start + 1)
    if span is None:
        return Stream(chunks, media_type=row["mime"], headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Stream(chunks, media_type=row["mime"], headers=headers, status_code=206)
