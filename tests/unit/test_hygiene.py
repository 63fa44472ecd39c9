"""The outermost middleware (api/middleware/hygiene.py): what the inner layers and the access log
see."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from pichr.api.middleware.hygiene import answer_refusal, hygiene_middleware
from pichr.api.middleware.logs import JsonFormatter, request_id_middleware
from pichr.api.middleware.paths import PathCanon

CANON = PathCanon(["/api/v1/files/{file_id:str}", "/i/{file_id:str}", "/health"])


def run(path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    """Pass one request through hygiene and the request id; what the endpoint and log saw."""
    seen: dict[str, Any] = {}

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        seen["path"], seen["raw_path"] = scope["path"], scope["raw_path"]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    app = hygiene_middleware(
        request_id_middleware(endpoint), request_id_middleware(answer_refusal), CANON
    )
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers or [],
    }
    asyncio.run(app(scope, receive, send))
    return seen, sent


@pytest.fixture
def access_log() -> Any:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    logger = logging.getLogger("pichr.access")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_inner_layers_and_the_log_see_the_canonical_path(access_log: list[str]) -> None:
    seen, sent = run("//API/v1/./files/file_AbC/")
    assert seen == {"path": "/api/v1/files/file_AbC", "raw_path": b"/api/v1/files/file_AbC"}
    assert sent[0]["status"] == 204
    line = json.loads(access_log[-1])
    assert (line["path"], line["rawPath"]) == (
        "/api/v1/files/file_AbC",
        "//API/v1/./files/file_AbC/",
    )


def test_a_canonical_path_is_passed_on_untouched(access_log: list[str]) -> None:
    seen, _ = run("/i/file_AbC")
    assert seen["path"] == "/i/file_AbC"
    assert "rawPath" not in json.loads(access_log[-1])


@pytest.mark.parametrize(
    ("path", "query", "headers", "status"),
    [
        ("/i/x\x00", b"", [], 400),
        ("/i/x\x1b[2J", b"", [], 400),
        ("/api/v1/files/x", b"a=%00", [], 400),
        ("/api/v1/files/x", b"a=" + b"9" * 9000, [], 414),
        ("/health", b"", [(b"x-big", b"x" * 40_000)], 431),
        ("/health", b"", [(b"x-f%d" % i, b"x") for i in range(65)], 431),
    ],
    ids=["NUL", "escape sequence", "NUL in query", "long target", "big head", "many fields"],
)
def test_what_no_route_can_take_is_refused_in_the_error_format(
    path: str, query: bytes, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    seen, sent = run(path, query, headers)
    assert seen == {}  # the inner app never ran
    assert sent[0]["status"] == status
    assert set(json.loads(sent[1]["body"])) == {"error", "message", "details"}
    assert b"x-request-id" in dict(sent[0]["headers"])  # it passed the request id
