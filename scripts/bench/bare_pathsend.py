"""The baseline of scripts/bench/delivery.py: a bare Litestar route handing one file to the ASGI
server by path (`http.response.pathsend`, which granian implements in Rust). Nothing else: no
middleware, no access decision. BENCH_FILE names the file, BENCH_MIME its type.

Run: `python -m granian --interface asgi --factory scripts.bench.bare_pathsend:app`.
"""

from __future__ import annotations

import os
from typing import Any, cast

from litestar import Litestar, asgi
from litestar.types import Message, Receive, Scope, Send


def app() -> Litestar:
    path = os.environ["BENCH_FILE"]
    headers = [
        (b"content-type", os.environ.get("BENCH_MIME", "image/jpeg").encode()),
        (b"content-length", str(os.path.getsize(path)).encode()),
    ]

    @asgi("/file", is_static=False)
    async def send_file(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        message: dict[str, Any] = {"type": "http.response.pathsend", "path": path}
        await send(cast("Message", message))

    return Litestar([send_file])
