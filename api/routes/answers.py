"""The byte routes' answer: headers and then no body, a file by path, or chunks from a thread.

A Litestar Response whose ASGI side is ours: by path it sends `http.response.pathsend` when the
server offers the extension (granian sends the file in Rust, Python never holds its bytes),
else it reads the file in chunks; chunks are pulled one at a time in a worker thread (flat
memory, the event loop never blocks on the store).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from anyio import to_thread
from litestar import Response
from litestar.types import Message, Receive, Scope, Send

PATHSEND = "http.response.pathsend"
CHUNK = 256 * 1024
_END = object()


class BodyAnswer(Response[bytes]):
    __slots__ = ("chunks", "path")

    def __init__(
        self,
        status: int,
        headers: dict[str, str],
        media_type: str | None = None,
        *,
        path: str | None = None,
        chunks: Iterator[bytes] | None = None,
    ) -> None:
        # Response.__init__ normalises cookies, headers and encoders this answer has none of.
        self.content, self.background, self.cookies, self.encoding = b"", None, [], "utf-8"
        self.headers, self.media_type, self.status_code = headers, media_type, status
        self.response_type_encoders = {}
        self.path = path
        self.chunks = chunks

    def to_asgi_response(  # type: ignore[override]  # the other arguments are Litestar's own
        self, app: object, request: object, *, headers: dict[str, str] | None = None, **_: Any
    ) -> Sending:
        merged = {**(headers or {}), **self.headers}
        if self.media_type:
            merged["Content-Type"] = str(self.media_type)
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
        return Sending(self.status_code or 200, encoded, self.path, self.chunks)


class Sending:
    """The ASGI callable of a BodyAnswer."""

    __slots__ = ("chunks", "headers", "path", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        path: str | None,
        chunks: Iterator[bytes] | None,
    ) -> None:
        self.status, self.headers, self.path, self.chunks = status, headers, path, chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        if self.path is not None and PATHSEND in (scope.get("extensions") or {}):
            await send(cast("Message", {"type": PATHSEND, "path": self.path}))
            return
        chunks = self.chunks
        if chunks is None and self.path is not None:
            chunks = _file(open_local(self.path))
        if chunks is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await _stream(send, chunks)


async def _stream(send: Send, chunks: Iterator[bytes]) -> None:
    try:
        while (chunk := await to_thread.run_sync(next, chunks, _END)) is not _END:
            assert isinstance(chunk, bytes)  # noqa: S101  (_END is the only other value)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await to_thread.run_sync(close)


def _file(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def open_local(path: str) -> BinaryIO:
    """A local file to stream (the caller closes it): microseconds, so not in a thread."""
    return Path(path).open("rb")
