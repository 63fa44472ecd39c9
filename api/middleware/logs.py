"""JSON logs on stderr, each line with the request id of the request that caused it, and a UTC
timestamp to the millisecond. Every library's lines too (dramatiq, granian, warnings)."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Observe = Callable[[str, str | None, int, float], None]
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access = logging.getLogger("pichr.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": utc_millis(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": request_id.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def utc_millis(created: float) -> str:
    """2026-12-04T19:25:23.123Z"""
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


# Loggers with their own level; the rest (the root) log warnings and worse.
LEVELS = {"pgserver": logging.WARNING, "dramatiq": logging.INFO, "dramatiq_postgres": logging.INFO}


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # The root too: a library's line (dramatiq's worker, granian's) would otherwise not be JSON.
    logging.root.handlers[:] = [handler]
    logging.root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    for name in ("pichr", *LEVELS):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(LEVELS.get(name, level.upper()))


# Scope state shared with the middleware inside (api/middleware/gate.py): the headers every response
# gets, and the request's headers as a dict (made once per request).
RESPONSE_HEADERS = "pichr.response_headers"
REQUEST_HEADERS = "pichr.request_headers"
RAW_PATH = (
    "pichr.raw_path"  # the path as received, when api/middleware/hygiene.py made it canonical
)


def request_id_middleware(app: ASGIApp, observe: Observe | None = None) -> ASGIApp:
    """Reuse a sane incoming X-Request-ID or make one; echo it; log one access line; hand
    `observe` (api/middleware/metrics.py) the method, route template, status and seconds."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else os.urandom(12).hex()
        )
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0
        added = [(b"x-request-id", rid.encode())]  # inner middleware may add theirs
        state = scope.setdefault("state", {})
        state[RESPONSE_HEADERS], state[REQUEST_HEADERS] = added, headers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            if observe is not None:  # the route template: set by the router when one matched
                observe(
                    scope["method"],
                    scope.get("path_template"),
                    status,
                    time.perf_counter() - started,
                )
            if access.isEnabledFor(logging.INFO):
                fields = {
                    "method": scope.get("method", ""),
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
                if RAW_PATH in state:  # another spelling of the path: worth seeing when probed
                    fields["rawPath"] = state[RAW_PATH]
                access.info("request", extra={"fields": fields})
            request_id.reset(token)

    return middleware
