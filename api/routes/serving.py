"""Serving the image bytes: the access decision, the hotlink policy, view counts; then the blob
goes out through api/routes/sending.py (304s, ranges, HEAD, by path where the server can).

A request without a query string or an extension (the plain image, nearly all traffic) is
answered by the route's own middleware (`straight`), before Litestar parses the handler's
signature and resolves its dependencies, which cost more than the rest; the handler answers the
others, variants included (`/i/{id}?w=640`, `/i/{id}.webp`), and documents the route. Both call
`answer_bytes`: one decision, one way to send.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send

from pichr.api.access import bytes_headers, see_file
from pichr.api.routes.sending import send_to
from pichr.api.routes.served import Served, referer_host, rendition, thumbnail
from pichr.api.services import Services
from pichr.api.variants import variant_of
from pichr.api.wire import variants as wire
from pichr.application.blobs.cached import evict
from pichr.application.imaging.variant_spec import Asked
from pichr.domain.access import check_hotlink
from pichr.domain.errors import GoneError, LegalHoldError
from pichr.domain.principal import Principal
from pichr.projections.queries.rows import FileRow

SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]
BYTES_METHODS: list[HttpMethod] = [HttpMethod.GET, HttpMethod.HEAD]
Derived = Callable[[FileRow], Served]


def straight(derived: Derived) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware answering a plain request to /i or /t itself (see the module doc)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            file_id, variant = scope["path_params"]["file_id"], None
            if scope["query_string"] or "." in file_id:  # a variant
                variant = _plain_variant(derived, file_id, scope["query_string"])
                if variant is None:  # another spelling, or wrong: the handler checks it
                    await app(scope, receive, send)
                    return
                file_id = wire.split_extension(file_id)[0]
            services: Services = scope["app"].state.services
            asked = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            who = await services.auth.principal(asked.get("authorization"))
            method = str(scope.get("method", "GET"))
            sent = await answer_bytes(services, file_id, derived, who, method, asked, variant)
            await sent.to_asgi_response(None, None)(scope, receive, send)  # type: ignore[arg-type]

        return answer

    return middleware


def _plain_variant(derived: Derived, file_id: str, query: bytes) -> Asked | None:
    """A variant of /i in its plain spelling (api/wire/variants.py fast_asked); /t has none."""
    if derived is not rendition:
        return None
    return wire.fast_asked(query, wire.split_extension(file_id)[1])


@route("/i/{file_id:str}", http_method=BYTES_METHODS, summary="The image bytes", tags=["serving"],
       middleware=[straight(rendition)])  # fmt: skip
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
) -> Response[bytes]:
    """The served rendition: the upload with its metadata stripped (orientation applied); with
    `w`, `h`, `fit`, `format`, `q` or an extension (`/i/{id}.webp`), a variant of it."""
    file_id, extension = wire.split_extension(file_id)
    query = request.query_params.multi_items()
    variant = wire.asked(query, extension, w=w, h=h, fit=fit, fmt=fmt, q=q)
    return await answer_bytes(
        services, file_id, rendition, who, request.method, request.headers, variant
    )


@route("/t/{file_id:str}", http_method=BYTES_METHODS, summary="The thumbnail (WebP)",
       tags=["serving"], middleware=[straight(thumbnail)])  # fmt: skip
async def serve_thumbnail(
    request: Request[Any, Any, Any],
    file_id: str,
    who: Principal,
    services: Services,
    safe_mode: SafeMode = None,
) -> Response[bytes]:
    """A WebP at most 320 px on the long side; the same access and caching rules as /i."""
    return await answer_bytes(services, file_id, thumbnail, who, request.method, request.headers)


async def answer_bytes(
    services: Services,
    file_id: str,
    derived: Derived,
    who: Principal,
    method: str,
    asked: Mapping[str, str],
    variant: Asked | None = None,
) -> Response[bytes]:
    """The answer to `who` asking for `derived` of the file (`asked`: the request's headers),
    or for a `variant` of it (rendered on first request, after the access decision)."""
    row = await services.reads.file(file_id)
    row = allowed_bytes(row, who, file_id, services, asked.get("x-safe-mode"))
    check_referer(asked.get("referer"), row, services)
    what = derived(row)
    if variant is not None and variant.anything:
        what = await variant_of(services, row, what, variant)
    count = (lambda: services.counter.view(file_id)) if what.counts_view else None
    headers = {**bytes_headers(row, services.nsfw_threshold), "X-Content-Type-Options": "nosniff"}
    return await send_to(method, asked, services, what, headers, on_bytes=count)


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


def check_referer(referer: str | None, row: FileRow, services: Services) -> None:
    own_host = _host_of(services.settings.base_url)
    check_hotlink(row.hotlink_policy, row.hotlink_whitelist, referer_host(referer), own_host)


@functools.cache
def _host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or ""
