"""Error answers sent by a middleware itself, before or instead of any route: the same error
format as every other failure, without building a Litestar response."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.types import Send

from pichr.api.errors import NAMES


async def send_error(
    send: Send,
    status: int,
    message: str,
    details: Any = None,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = msgspec.json.encode(
        {
            "error": NAMES.get(status, "Error"),
            "message": message,
            "details": details if isinstance(details, dict) else {},
        }
    )
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    start: Any = {"type": "http.response.start", "status": status, "headers": head + (extra or [])}
    await send(start)
    end: Any = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
