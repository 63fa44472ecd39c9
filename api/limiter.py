"""Hourly call and upload limits on the `limits` library's storage (Redis or in-process).

A fixed one-hour window per (bucket, caller): one increment per request; the window's reset
time is remembered locally, so the store is asked for it only once per window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from limits.storage import storage_from_string

WINDOW_SECONDS = 3600
STORE_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    remaining: int
    reset: int  # unix seconds
    allowed: bool

    def headers(self, prefix: str = "X-RateLimit") -> list[tuple[bytes, bytes]]:
        return [
            (f"{prefix}-Limit".lower().encode(), str(self.limit).encode()),
            (f"{prefix}-Remaining".lower().encode(), str(self.remaining).encode()),
            (f"{prefix}-Reset".lower().encode(), str(self.reset).encode()),
        ]

    @property
    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))


class Limiter:
    def __init__(self, redis_url: str, prefix: str = "pichr") -> None:
        if redis_url:  # short timeouts: a store that hangs must not hang every request
            self.storage: Any = storage_from_string(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=prefix,
                socket_connect_timeout=STORE_TIMEOUT_SECONDS,
                socket_timeout=STORE_TIMEOUT_SECONDS,
            )
        else:
            self.storage = storage_from_string("async+memory://")
        self._resets: dict[str, float] = {}

    async def hit(self, bucket: str, caller: str, limit: int) -> Window:
        # The key leaves out the limit, so a plan change keeps the calls already counted.
        key = f"{bucket}/{caller}"
        count = await self.storage.incr(key, WINDOW_SECONDS)
        now = time.time()
        reset = self._resets.get(key, 0.0)
        if count == 1:
            reset = now + WINDOW_SECONDS
        elif reset <= now:  # the window was opened elsewhere (another process) or has rolled
            reset = await self.storage.get_expiry(key)
        if len(self._resets) > 100_000:
            self._resets.clear()
        self._resets[key] = reset
        return Window(limit, max(0, limit - count), int(reset), count <= limit)

    async def peek(self, bucket: str, caller: str, limit: int) -> Window:
        """The current window without counting a hit."""
        key = f"{bucket}/{caller}"
        count = await self.storage.get(key)
        reset = await self.storage.get_expiry(key) if count else time.time() + WINDOW_SECONDS
        return Window(limit, max(0, limit - count), int(reset), count < limit)

    async def check(self) -> None:
        await self.storage.check()
