"""Hourly call and upload limits: fixed one-hour windows per (bucket, caller), counted by the
`limits` library's storages, in the process (api/limits/stores.py) or on Redis when several API
processes share them (handed out in leases, api/limits/leases.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pichr.api.limits.leases import LeasedWindows
from pichr.api.limits.stores import Counters, MemoryCounters, RedisCounters
from pichr.api.middleware.metrics import limiter_decided

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


class Limiter:
    def __init__(self, redis_url: str, prefix: str = "pichr") -> None:
        counters: Counters = RedisCounters(redis_url, prefix) if redis_url else MemoryCounters()
        self.store = LeasedWindows(counters)

    async def hit(self, bucket: str, caller: str, limit: int) -> Window:
        # The key leaves out the limit, so a plan change keeps the calls already counted.
        count, reset = await self.store.hit(f"{bucket}/{caller}", limit, time.time())
        limiter_decided(bucket, "allowed" if count <= limit else "refused")
        return Window(limit, max(0, limit - count), int(reset), count <= limit)

    async def peek(self, bucket: str, caller: str, limit: int) -> Window:
        """The current window without counting a hit."""
        count, reset = await self.store.peek(f"{bucket}/{caller}", time.time())
        return Window(limit, max(0, limit - count), int(reset), count < limit)
