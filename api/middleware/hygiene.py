"""The first thing every request meets (api/app.py around_router): its path in the one canonical
spelling (api/middleware/paths.py), and a 4xx in the error format for what no route can take.

Refused here, one check per kind: a control character in the path (a NUL in any id: PostgreSQL
text cannot hold it), a NUL in the query string, a request target over MAX_TARGET bytes (414)
and a header block over MAX_HEAD_BYTES or MAX_HEAD_FIELDS (431). granian itself answers above
its own caps (a target over 64 KiB, a head over ~408 KiB or 100 fields) with an empty body.
A refusal still passes the request id and the gate (`refused`), so it is logged and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from itertools import chain
from typing import Any, cast
from urllib.parse import quote

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from pichr.api.middleware.answers import send_error
from pichr.api.middleware.logs import RAW_PATH
from pichr.api.middleware.paths import CONTROL, PathCanon

REFUSAL = "pichr.refusal"  # scope state: (status, message, details) for `refused`
MAX_TARGET = 8 * 1024  # nginx's default for a request line
MAX_HEAD_BYTES = 32 * 1024
MAX_HEAD_FIELDS = 64
_QUICK_QUERY = 2 * 1024  # a longer query string is measured against MAX_TARGET
_NUL = b"%00"
Refusal = tuple[int, str, dict[str, Any]]


def hygiene_middleware(app: ASGIApp, refused: ASGIApp, canon: PathCanon) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            query: bytes = scope["query_string"]
            problem = None
            # The read path's paths are canonical: this one match is all they cost.
            if not canon.is_canonical(scope["path"]) or len(query) > _QUICK_QUERY or _NUL in query:
                problem = _tidy(scope, canon)
            problem = problem or _head_problem(cast("Sized", scope["headers"]))
            if problem is not None:
                scope.setdefault("state", {})[REFUSAL] = problem
                await refused(scope, receive, send)
                return
        await app(scope, receive, send)

    return middleware


def _tidy(scope: Scope, canon: PathCanon) -> Refusal | None:
    """Put the canonical path in the scope; or the refusal of a target no route can take."""
    path: str = scope["path"]
    query: bytes = scope["query_string"]
    if len(scope.get("raw_path") or path.encode()) + len(query) > MAX_TARGET:
        return 414, "The request target is too long.", {"limit": MAX_TARGET}
    if CONTROL.search(path):
        return 400, "The path contains a control character.", {"field": "path"}
    if _NUL in query:
        return 400, "The query string contains a NUL character.", {"field": "query"}
    canonical = canon.canonical(path)
    if canonical != path:
        scope.setdefault("state", {})[RAW_PATH] = path
        scope["path"] = canonical
        scope["raw_path"] = quote(canonical).encode()
    return None


def _head_problem(headers: Sized) -> Refusal | None:
    if len(headers) > MAX_HEAD_FIELDS:
        return 431, "Too many header fields.", {"limit": MAX_HEAD_FIELDS}
    joined = b"".join(chain.from_iterable(cast("Iterable[tuple[bytes, bytes]]", headers)))
    if len(joined) > MAX_HEAD_BYTES:  # one pass in C
        return 431, "The header fields are too large.", {"limit": MAX_HEAD_BYTES}
    return None


async def answer_refusal(scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint of a refused request, behind the request id and the gate."""
    status, message, details = scope["state"][REFUSAL]
    await send_error(send, status, message, details)
