"""CORS (shared CONTRACT.md, "CORS"): browsers on the origins of PICHR_CORS_ORIGINS may call the
API, PUT to the upload URLs and read /i and /t. Litestar's CORSConfig answers, with its own
middleware; this module only says what it is configured with and where it applies.

It wraps everything else (api/app.py around_router), so a preflight is answered before the
gate counts anything (and the gate does not count one either, api/middleware/gate.py), and every
answer, a refusal of the gate or of the path hygiene included, carries the headers a browser needs
to read it. No credentials: keys are bearer tokens, sent by the page itself.
"""

from __future__ import annotations

from typing import Literal

from litestar.config.cors import CORSConfig
from litestar.enums import ScopeType
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.types import ASGIApp, Method, Receive, Scope, Send

Allowed = list[Literal["*"] | Method]  # CORSConfig's type of allow_methods

APPLIES_TO = ("/api/v1/", "/i/", "/t/")  # the upload URLs live under /api/v1/upload/
REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Delete-Token",
    "X-Album-Password",
    "X-Safe-Mode",
    "X-Request-ID",
]
EXPOSED_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Upload-RateLimit-Limit",
    "X-Upload-RateLimit-Remaining",
    "X-Upload-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "ETag",
    "Location",
]
METHODS: Allowed = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def cors_config(origins: str) -> CORSConfig | None:
    """The CORSConfig of PICHR_CORS_ORIGINS ("*" or a comma list), or None when it is empty."""
    allowed = [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]
    if not allowed:
        return None
    return CORSConfig(
        allow_origins=["*"] if "*" in allowed else allowed,
        allow_methods=METHODS,
        allow_headers=REQUEST_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
    )


def is_preflight(scope: Scope) -> bool:
    """A browser's CORS preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
        return False
    names = {name for name, _ in scope.get("headers", ())}
    return b"origin" in names and b"access-control-request-method" in names


def cors_middleware(app: ASGIApp, config: CORSConfig | None) -> ASGIApp:
    """`app` with Litestar's CORS middleware in front of the paths CORS applies to."""
    if config is None:
        return app
    cors = CORSMiddleware(app=app, config=config)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope.get("path", "").startswith(APPLIES_TO):
            await cors(scope, receive, send)
        else:
            await app(scope, receive, send)

    return middleware
