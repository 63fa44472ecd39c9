"""Serving the image bytes: the access decision, the hotlink policy, view counts; then the blob
goes out through api/routes/sending.py (304s, ranges, HEAD, by path where the server can)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import Parameter

from pichr.api.access import bytes_headers, see_file
from pichr.api.routes.sending import send_blob
from pichr.api.routes.served import Served, referer_host, rendition, thumbnail
from pichr.api.services import Services
from pichr.application.blobs.cached import evict
from pichr.domain.access import check_hotlink
from pichr.domain.errors import GoneError, LegalHoldError
from pichr.domain.principal import Principal
from pichr.projections.queries.rows import FileRow

SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]
BYTES_METHODS: list[HttpMethod] = [HttpMethod.GET, HttpMethod.HEAD]


@route("/i/{file_id:str}", http_method=BYTES_METHODS, summary="The image bytes", tags=["serving"])
async def serve_image(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
) -> Response[bytes]:
    """The served rendition: the upload with its metadata stripped (orientation applied)."""
    return await _serve(request, file_id, who, services, safe_mode, rendition)


@route(
    "/t/{file_id:str}", http_method=BYTES_METHODS, summary="The thumbnail (WebP)", tags=["serving"]
)
async def serve_thumbnail(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
) -> Response[bytes]:
    """A WebP at most 320 px on the long side; the same access and caching rules as /i."""
    return await _serve(request, file_id, who, services, safe_mode, thumbnail)


async def _serve(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: str | None,
    derived: Callable[[FileRow], Served],
) -> Response[bytes]:
    row = allowed_bytes(await services.reads.file(file_id), who, file_id, services, safe_mode)
    check_referer(request, row, services)
    what = derived(row)
    count = (lambda: services.counter.view(file_id)) if what.counts_view else None
    headers = {**bytes_headers(row, services.nsfw_threshold), "X-Content-Type-Options": "nosniff"}
    return await send_blob(request, services, what, headers, on_bytes=count)


def allowed_bytes(
    row: FileRow | None, who: Principal, file_id: str, services: Services, safe_mode: str | None
) -> FileRow:
    """The row when `who` may have the file's bytes. A file gone or held drops its local copies
    (the hot cache of S3 blobs) wherever it is asked for: they are never sent anyway."""
    try:
        return see_file(
            row, who, file_id=file_id, safe_mode=safe_mode, threshold=services.nsfw_threshold,
            serving_bytes=True,
        )  # fmt: skip
    except (GoneError, LegalHoldError):
        if row is not None:
            for key in (row.rendition_key, row.thumbnail_key, row.blob_key):
                if key is not None:
                    evict(services.blobs, key)
        raise


def check_referer(request: Request[Any, Any, Any], row: FileRow, services: Services) -> None:
    own_host = urlsplit(services.settings.base_url).hostname or ""
    host = referer_host(request.headers.get("referer"))
    check_hotlink(row.hotlink_policy, row.hotlink_whitelist, host, own_host)
