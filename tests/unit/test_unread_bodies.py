"""api/middleware/unread.py: an answer given before the body was read drains a small remainder (the
connection stays usable) and closes the connection on a large, slow or never-sent one."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pichr.api.middleware import unread
from pichr.api.middleware.unread import DRAIN_MAX, drain_unread


async def refuse_unread(scope: Any, receive: Any, send: Any) -> None:
    """What Litestar does on a Content-Length above the limit: 413 without reading."""
    await send({"type": "http.response.start", "status": 413, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def read_then_refuse(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await refuse_unread(scope, receive, send)


def run(
    app: Any, headers: dict[str, str], chunks: list[bytes], stall: bool = False
) -> tuple[list[Any], int]:
    """Serve one request whose body arrives in `chunks` (then stops coming, if `stall`); the
    messages sent and the number of reads."""
    scope: Any = {"type": "http", "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    sent: list[Any] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > len(chunks):
            await anyio.sleep(60)  # a client that stops sending: the drain gives up
        return {
            "type": "http.request",
            "body": chunks[read - 1],
            "more_body": stall or read < len(chunks),
        }

    async def send(message: Any) -> None:
        sent.append(message)

    guarded: Any = drain_unread(app)
    anyio.run(guarded, scope, receive, send)
    return sent, read


def connection(start: Any) -> list[bytes]:
    return [v for k, v in start["headers"] if k == b"connection"]


def test_a_small_unread_body_is_drained_and_the_connection_kept() -> None:
    chunks = [b"x" * 65536] * 20
    sent, read = run(refuse_unread, {"content-length": str(65536 * 20)}, chunks)
    assert read == 20
    assert sent[0]["status"] == 413
    assert connection(sent[0]) == []
    assert (b"x-a", b"1") in sent[0]["headers"]


def test_a_body_larger_than_the_drain_bound_closes_the_connection_unread() -> None:
    sent, read = run(refuse_unread, {"content-length": str(DRAIN_MAX + 1)}, [b"x"] * 3)
    assert read == 0
    assert connection(sent[0]) == [b"close"]


def test_a_chunked_body_is_drained_up_to_the_bound_then_closed() -> None:
    chunk = b"x" * (1024 * 1024)
    sent, read = run(refuse_unread, {"transfer-encoding": "chunked"}, [chunk] * 10)
    assert 4 <= read <= 6  # DRAIN_MAX is 4 MiB: it stops soon after
    assert connection(sent[0]) == [b"close"]


def test_a_client_that_waits_for_100_continue_is_not_asked_for_its_body() -> None:
    headers = {"content-length": "1000", "expect": "100-continue"}
    sent, read = run(refuse_unread, headers, [b"x" * 1000])
    assert read == 0
    assert connection(sent[0]) == [b"close"]


def test_a_stalled_client_gets_its_answer_after_the_drain_time_with_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(unread, "DRAIN_S", 0.2)
    sent, read = run(refuse_unread, {"content-length": "3000"}, [b"x" * 1000], stall=True)
    assert read == 2  # one chunk, then the wait that the drain time cut short
    assert connection(sent[0]) == [b"close"]


def test_a_body_read_to_the_end_changes_nothing() -> None:
    sent, read = run(read_then_refuse, {"content-length": "2000"}, [b"x" * 1000] * 2)
    assert read == 2
    assert connection(sent[0]) == []


def test_a_request_without_a_body_is_not_read() -> None:
    sent, read = run(refuse_unread, {}, [b""])
    assert read == 0
    assert connection(sent[0]) == []
