"""Answers to requests whose body the handler left unread (a 413 judged from Content-Length, a
401 before an upload's bytes, a quota refusal half-way through a PUT).

The server closes such a connection after the answer, since the rest of the body is still on
the wire. Unless the answer says so, a keep-alive client sends its next request into that
closing connection and sees "server disconnected" instead of an answer. So, before the answer
goes out: a remainder of up to DRAIN_MAX bytes is read and dropped (within DRAIN_S), and the
connection stays usable; anything larger, slower or announced with `Expect: 100-continue` is
answered with `Connection: close`.
"""

from __future__ import annotations

import anyio
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

DRAIN_MAX = 4 * 1024 * 1024
DRAIN_S = 2.0


class _Body:
    def __init__(self, scope: Scope) -> None:
        headers = dict(scope.get("headers", ()))
        length = headers.get(b"content-length")
        self.length = int(length) if length is not None and length.isdigit() else None
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        self.done = not chunked and not self.length
        self.expects_continue = headers.get(b"expect", b"").lower() == b"100-continue"
        self.received = 0

    def seen(self, message: ReceiveMessage) -> None:
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = self.done or not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.done = True

    def worth_draining(self) -> bool:
        if self.expects_continue and self.received == 0:
            return False  # the client waits for a go-ahead that never came: it sent nothing
        return self.length is None or self.length - self.received <= DRAIN_MAX

    async def drain(self, receive: Receive) -> None:
        limit = self.received + DRAIN_MAX
        with anyio.move_on_after(DRAIN_S):
            while not self.done and self.received <= limit:
                self.seen(await receive())


def _closing(start: HTTPResponseStartEvent) -> HTTPResponseStartEvent:
    headers = [h for h in start.get("headers", ()) if h[0].lower() != b"connection"]
    return {**start, "headers": [*headers, (b"connection", b"close")]}


def drain_unread(app: ASGIApp) -> ASGIApp:
    """Wrap `app` so no answer leaves a half-read body on a connection the client will reuse."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        body = _Body(scope) if scope["type"] == ScopeType.HTTP else None
        if body is None or body.done:  # no body (most GETs): nothing to track, the hot path
            await app(scope, receive, send)
            return

        async def tracked() -> ReceiveMessage:
            message = await receive()
            body.seen(message)
            return message

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and not body.done:
                if body.worth_draining():
                    await body.drain(receive)
                if not body.done:
                    message = _closing(message)
            await send(message)

        await app(scope, tracked, answer)

    return guarded
