"""Hourly call and upload limits: on Redis through the `limits` library's storage when several
API processes share them, else on a dict in the process.

A fixed one-hour window per (bucket, caller): one increment per request; the window's reset
time is remembered locally, so Redis is asked for it only once per window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from limits.storage import storage_from_string

WINDOW_SECONDS = 3600
STORE_TIMEOUT_SECONDS = 0.5
MAX_LOCAL_KEYS = 100_000


_NAMES = {  # header names, encoded once
    prefix: tuple(f"{prefix}-{part}".lower().encode() for part in ("Limit", "Remaining", "Reset"))
    for prefix in ("X-RateLimit", "X-Upload-RateLimit")
}


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    remaining: int
    reset: int  # unix seconds
    allowed: bool

    def headers(self, prefix: str = "X-RateLimit") -> list[tuple[bytes, bytes]]:
        limit, remaining, reset = _NAMES[prefix]
        return [
            (limit, b"%d" % self.limit),
            (remaining, b"%d" % self.remaining),
            (reset, b"%d" % self.reset),
        ]

    @property
    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))


class LocalWindows:
    """The in-process store: a dict of [count, reset] per key. One event loop per process and
    no await between read and write, so no lock is needed."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}

    def hit(self, key: str, now: float) -> tuple[int, float]:
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            if len(self._windows) >= MAX_LOCAL_KEYS:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = self._windows[key] = [0, now + WINDOW_SECONDS]
        window[0] += 1
        return int(window[0]), window[1]

    def peek(self, key: str, now: float) -> tuple[int, float]:
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            return 0, now + WINDOW_SECONDS
        return int(window[0]), window[1]


class Limiter:
    def __init__(self, redis_url: str, prefix: str = "pichr") -> None:
        self.local = None if redis_url else LocalWindows()
        self.storage: Any = None
        if redis_url:  # short timeouts: a store that hangs must not hang every request
            self.storage = storage_from_string(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=prefix,
                socket_connect_timeout=STORE_TIMEOUT_SECONDS,
                socket_timeout=STORE_TIMEOUT_SECONDS,
            )
        self._resets: dict[str, float] = {}

    async def hit(self, bucket: str, caller: str, limit: int) -> Window:
        # The key leaves out the limit, so a plan change keeps the calls already counted.
        key = f"{bucket}/{caller}"
        if self.local is not None:
            count, reset = self.local.hit(key, time.time())
            return Window(limit, max(0, limit - count), int(reset), count <= limit)
        count = await self.storage.incr(key, WINDOW_SECONDS)
        now = time.time()
        reset = self._resets.get(key, 0.0)
        if count == 1:
            reset = now + WINDOW_SECONDS
        elif reset <= now:  # the window was opened elsewhere (another process) or has rolled
            reset = await self.storage.get_expiry(key)
        if len(self._resets) > MAX_LOCAL_KEYS:
            self._resets.clear()
        self._resets[key] = reset
        return Window(limit, max(0, limit - count), int(reset), count <= limit)

    async def peek(self, bucket: str, caller: str, limit: int) -> Window:
        """The current window without counting a hit."""
        key = f"{bucket}/{caller}"
        if self.local is not None:
            count, reset = self.local.peek(key, time.time())
        else:
            count = await self.storage.get(key)
            reset = await self.storage.get_expiry(key) if count else time.time() + WINDOW_SECONDS
        return Window(limit, max(0, limit - count), int(reset), count < limit)

    async def check(self) -> None:
        if self.storage is not None:
            await self.storage.check()
