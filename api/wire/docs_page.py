"""The docs page `/api/v1/schema`: Scalar's API reference, pinned and packaged with the server
(api/docs_assets/, VENDORED.md), so it loads on an air-gapped host and runs no script from
elsewhere. Its Content-Security-Policy lets the page load and connect to this server only.

The bundle is shipped gzip-compressed (every browser takes gzip; a client that does not is sent
the bytes decompressed) under a versioned name, cached for a year.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import ScalarRenderPlugin

ASSETS = Path(__file__).resolve().parents[1] / "docs_assets"
SCALAR_VERSION = "1.76.4"
SCALAR_SHA256 = "93951f1794b0463b87ab58d0557a6610075af79a9f94c2a3f261c993bc7f3913"
SCALAR = f"scalar-api-reference-{SCALAR_VERSION}.js"
START = "pichr-docs.js"
SERVED = {SCALAR: ASSETS / f"{SCALAR}.gz", START: ASSETS / START}
DOCS_PATH = "/api/v1/schema"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
</head>
<body>
<noscript>The API reference needs JavaScript; the document itself is at {json}.</noscript>
<div id="pichr-docs" data-document="{json}"></div>
<script src="{base}/assets/{scalar}"></script>
<script src="{base}/assets/{start}"></script>
</body>
</html>
"""


@cache
def _bytes(name: str) -> bytes:
    return SERVED[name].read_bytes()


@cache
def _plain(name: str) -> bytes:
    return gzip.decompress(_bytes(name))


@get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False)
def docs_asset(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    """A packaged file of the docs page, by its versioned name."""
    if name not in SERVED:
        raise NotFoundException("No such documentation asset.")
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    media = "text/javascript; charset=utf-8"
    if not SERVED[name].name.endswith(".gz"):
        return Response(_bytes(name), media_type=media, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(_bytes(name), media_type=media, headers=headers)
    return Response(_plain(name), media_type=media, headers=headers)


class PackagedScalar(ScalarRenderPlugin):
    """Scalar from this server's own files, not from a CDN."""

    def __init__(self) -> None:
        super().__init__(version=SCALAR_VERSION, js_url=SCALAR, css_url="", favicon="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        base = DOCS_PATH
        page = PAGE.format(
            title="Pichr API", json=self.get_openapi_json_route(request), base=base,
            scalar=SCALAR, start=START,
        )  # fmt: skip
        return page.encode()

    def receive_router(self, router: Router) -> None:
        router.register(docs_asset)


def docs_router() -> Router:
    """The router Litestar puts the docs page, the document and the assets on."""
    return Router(DOCS_PATH, route_handlers=[], include_in_schema=False, response_headers=HEADERS)
