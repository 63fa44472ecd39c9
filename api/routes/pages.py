"""Server-rendered pages for browsers: the album gallery `/a/{id}` and the file page `/f/{id}`.

They follow the same access rules as the API; refusals are HTML pages with the same status.
A protected album shows a password form that posts to the same URL; a right password renders
the album and leaves a cookie (bound to the password's hash) so that reloads stay unlocked.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from pichr.api.access import album_cache_headers, record_headers, see_file
from pichr.api.album_access import Unlock, open_album
from pichr.api.errors import refusal
from pichr.api.routes.albums import client_of
from pichr.api.routes.previews import album_preview, file_preview, shareable
from pichr.api.services import Services
from pichr.application.albums.passwords import unlock_token
from pichr.domain.access import require_read
from pichr.domain.errors import DomainError
from pichr.domain.principal import Principal
from pichr.projections.queries.albums import Viewer
from pichr.projections.queries.rows import AlbumRow

UNLOCK_SECONDS = 24 * 3600
TITLES = {
    401: "Password required",
    403: "Restricted",
    404: "Not found",
    410: "Gone",
    429: "Too many attempts",
    451: "Unavailable for legal reasons",
}
# Defence in depth beside Jinja's autoescape: no scripts at all, images from anywhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self' http: https:;"
    " style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def cookie_name(album_id: str) -> str:
    return f"pichr_album_{album_id}"


def _html(request: Request[Any, Any, Any], template: str, **context: Any) -> str:
    engine = request.app.template_engine
    if engine is None:  # pragma: no cover  (create_app always configures it)
        raise RuntimeError("Templates are not configured.")  # a bug: answered as a 500
    return str(engine.get_template(template).render(**context))


def _thumbs(request: Request[Any, Any, Any]) -> str:
    """`/t/` once a thumbnail route exists, else the image itself."""
    paths = request.app.route_handler_method_map
    return "/t/" if any(p.startswith("/t/{") for p in paths) else "/i/"


def _refusal(
    request: Request[Any, Any, Any], error: DomainError, album_id: str | None
) -> Response[str]:
    status, message, extra = refusal(error)
    headers = {**PAGE_HEADERS, **extra}
    if status == 401 and album_id is not None:
        wrong = "wrong" in message
        html = _html(request, "password.html", album_id=album_id, wrong=wrong)
    else:
        html = _html(request, "refused.html", status=status, title=TITLES.get(status, "Error"),
                     message=message, retry=headers.get("Retry-After"))  # fmt: skip
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=headers)


async def _album_page(
    request: Request[Any, Any, Any], album_id: str, who: Principal, services: Services,
    password: str | None,
) -> Response[str]:  # fmt: skip
    started = time.perf_counter()
    albums = services.albums
    # A posted password is checked even when a cookie exists, so only a right one sets a cookie.
    token = None if password is not None else request.cookies.get(cookie_name(album_id))
    unlock = Unlock(client_of(request, services), password, token)
    try:
        require_read(who)
        row, owner = await open_album(albums, album_id, who, unlock)
    except DomainError as error:
        return _refusal(request, error, album_id)
    html = await _gallery(request, services, row, Viewer(who.account_id, owner, adult=False))
    services.counter.view(album_id)
    timing = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    cache = album_cache_headers(row, vary="Authorization, Cookie")
    headers = {**PAGE_HEADERS, "Server-Timing": timing, **cache}
    response = Response(html, media_type=MediaType.HTML, headers=headers)
    if password is not None and row.password_hash is not None and not owner:
        _remember_unlock(response, album_id, row.password_hash, albums.web_base)
    return response


async def _gallery(
    request: Request[Any, Any, Any], services: Services, row: AlbumRow, viewer: Viewer
) -> str:
    """The album page as this kind of viewer sees it, rendered once per cached contents."""
    contents = await services.albums.reads.files(row.id, viewer)
    html: str | None = contents.memo.get("html")
    if html is None:
        files = [f for f in contents.rows if f.status == "ready"]  # bytes to show
        base, web = services.urls.base, services.albums.web_base
        html = contents.memo["html"] = _html(
            request, "album.html", album=row, files=files, thumbs=_thumbs(request), base=base,
            preview=album_preview(row, files, base, web) if shareable(row.visibility) else None,
        )  # fmt: skip
    return html


def _remember_unlock(
    response: Response[str], album_id: str, password_hash: str, web_base: str
) -> None:
    """A cookie bound to the password's hash: reloads stay unlocked until it changes."""
    until = int(time.time()) + UNLOCK_SECONDS
    response.set_cookie(
        cookie_name(album_id), unlock_token(password_hash, album_id, until),
        max_age=UNLOCK_SECONDS, path=f"/a/{album_id}", httponly=True, samesite="lax",
        secure=web_base.startswith("https://"),
    )  # fmt: skip


@get("/a/{album_id:str}", summary="The album's web page", media_type=MediaType.HTML)
async def album_page(
    request: Request[Any, Any, Any], album_id: str, who: Principal, services: Services
) -> Response[str]:
    return await _album_page(request, album_id, who, services, None)


@post(
    "/a/{album_id:str}", status_code=200, summary="Unlock a protected album's web page",
    media_type=MediaType.HTML,
)  # fmt: skip
async def album_page_unlock(
    request: Request[Any, Any, Any], album_id: str, who: Principal, services: Services, data: Form
) -> Response[str]:
    password = data.get("password", "") if isinstance(data, dict) else ""
    return await _album_page(request, album_id, who, services, str(password)[:1024])


@get(
    "/f/{file_id:str}", summary="The file's web page (the link to share)", media_type=MediaType.HTML
)
async def file_page(
    request: Request[Any, Any, Any], file_id: str, who: Principal, services: Services
) -> Response[str]:
    try:
        row = see_file(
            await services.reads.file(file_id), who, file_id=file_id, safe_mode=None,
            threshold=services.nsfw_threshold, serving_bytes=True,
        )  # fmt: skip
    except DomainError as error:
        return _refusal(request, error, None)
    base = services.urls.base
    preview = file_preview(row, base, services.albums.web_base)
    html = _html(
        request, "file.html", file=row, base=base, title=preview.title, alt=preview.alt,
        preview=preview if shareable(row.visibility) else None,
    )  # fmt: skip
    headers = {**PAGE_HEADERS, **(record_headers(row, services.nsfw_threshold) or {})}
    return Response(html, media_type=MediaType.HTML, headers=headers)
