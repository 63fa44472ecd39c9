"""The gate every API request passes: who is calling, and whether their plan allows the call.

An ASGI middleware, so a refusal costs no routing and every response of the API carries the
caller's X-RateLimit-* headers. The principal it resolves is handed to the handlers. It runs
inside request_id_middleware (api/app.py around_router), which sends the headers it adds, and
sees the canonical path (api/middleware/hygiene.py): the one the router routes, whatever the
spelling.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from pichr.api.errors import status_of
from pichr.api.limits.limiter import Window
from pichr.api.middleware.answers import send_error
from pichr.api.middleware.cors import is_preflight
from pichr.api.middleware.logs import REQUEST_HEADERS, RESPONSE_HEADERS
from pichr.api.middleware.metrics import limiter_decided
from pichr.api.services import Services
from pichr.application.uploads.plans import Plan
from pichr.domain.errors import UnauthenticatedError
from pichr.domain.principal import NOBODY, Principal

log = logging.getLogger("pichr.limits")
API = "/api/v1/"
UNLIMITED = ("/api/v1/schema",)  # the API's own documentation
UPLOAD_STARTS = {
    ("POST", "/api/v1/upload/presign"),
    ("POST", "/api/v1/upload/multipart/init"),
    ("POST", "/api/v1/upload"),  # the one-request upload
}
PRINCIPAL = "pichr.principal"
CALLS = "pichr.calls"  # the caller's call window after this call, for /usage
WARN_EVERY_SECONDS = 10.0


def client_ip(scope: Scope, headers: dict[bytes, bytes], trusted: frozenset[str]) -> str:
    """The peer, or with a trusted proxy in front the last address it did not add itself."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    forwarded = headers.get(b"x-forwarded-for")
    if peer not in trusted or not forwarded:
        return str(peer)
    for hop in reversed([h.strip() for h in forwarded.decode("latin-1").split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        if hop not in trusted:
            return hop
    return str(peer)


def gate_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # A CORS preflight needs no key and is not counted (shared CONTRACT.md, "CORS"): with
        # PICHR_CORS_ORIGINS set it is answered before the gate; without, the router answers it.
        exempt = not path.startswith(API) or path.startswith(UNLIMITED) or is_preflight(scope)
        if scope["type"] != ScopeType.HTTP or exempt:
            await app(scope, receive, send)
            return
        services: Services = scope["app"].state.services
        state = scope["state"]  # request_id_middleware, outside, filled it (api/app.py)
        headers: dict[bytes, bytes] = state[REQUEST_HEADERS]
        unauthorized: UnauthenticatedError | None = None
        try:
            token = headers.get(b"authorization", b"").decode("latin-1") or None
            who = await services.auth.principal(token)
        except UnauthenticatedError as exc:  # counted against the client's address (guesses)
            who, unauthorized = NOBODY, exc
        state[PRINCIPAL] = who
        extra: list[tuple[bytes, bytes]] = []
        refused = None
        if services.limiter is not None:
            refused = await _limit(services, scope, state, headers, who, extra)
        if refused is None and unauthorized is not None:
            refused = status_of(unauthorized), unauthorized.message, dict(unauthorized.details)
        if refused is not None:
            await send_error(send, *refused, extra)
            return

        state[RESPONSE_HEADERS] += extra  # sent by request_id_middleware with its own
        await app(scope, receive, send)

    return middleware


async def _limit(
    services: Services,
    scope: Scope,
    state: dict[str, Any],
    headers: dict[bytes, bytes],
    who: Principal,
    extra: list[tuple[bytes, bytes]],
) -> tuple[int, str, dict[str, Any]] | None:
    """Count the call (and the upload); fill `extra` with headers; a refusal, or None."""
    assert services.limiter is not None  # noqa: S101  (checked by the caller)
    plan = services.plans.get(who.plan) or services.plans["anonymous"]
    caller = who.account_id or "ip:" + client_ip(scope, headers, services.trusted_proxies)
    try:
        calls = await services.limiter.hit("calls", caller, plan.calls_per_hour)
        state[CALLS] = calls
        extra += calls.headers()
        if not calls.allowed:
            return _too_many(calls, plan, "callsPerHour", extra)
        if (scope.get("method"), scope["path"]) in UPLOAD_STARTS:
            uploads = await services.limiter.hit("uploads", caller, plan.uploads_per_hour)
            extra += uploads.headers("X-Upload-RateLimit")
            if not uploads.allowed:
                return _too_many(uploads, plan, "uploadsPerHour", extra)
    except Exception as exc:  # the limit store is down: fail open unless told otherwise
        limiter_decided("calls", "store_down")
        if services.settings.limits_fail_closed:
            return 503, "The rate-limit store is unavailable.", {"store": type(exc).__name__}
        _warn_store_down(exc)
    return None


_last_warning = [0.0]  # monotonic time of the last "store down" warning of this process


def _warn_store_down(exc: Exception) -> None:
    """Once per WARN_EVERY_SECONDS, not once per request: an outage must not flood the log."""
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY_SECONDS:
        _last_warning[0] = now
        log.warning("rate-limit store unavailable, serving without limits: %r", exc)


def _too_many(
    window: Window, plan: Plan, limit: str, extra: list[tuple[bytes, bytes]]
) -> tuple[int, str, dict[str, Any]]:
    extra.append((b"retry-after", str(window.retry_after).encode()))
    details = {
        "limit": limit,
        "allowed": window.limit,
        "used": window.limit - window.remaining,
        "plan": plan.name,
        "resetAt": window.reset,
    }
    return 429, "Rate limit exceeded.", details
