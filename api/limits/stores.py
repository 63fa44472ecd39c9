"""Where the hourly windows are counted: the `limits` library's storages, in the process (its
memory storage) or on Redis shared by every process. api/limits/leases.py hands their units out.

Each window is a fixed one: a counter per key that lives one hour from its first hit (the
library's `incr` with an expiry). The key leaves out the limit, so a plan change keeps the
calls already counted.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from limits.aio.storage import RedisStorage
from limits.storage import MemoryStorage

WINDOW_SECONDS = 3600
STORE_TIMEOUT_SECONDS = 0.5  # a store that hangs must not hang every request


class Counters(Protocol):
    async def claim(self, key: str, amount: int, known_reset: float = 0.0) -> tuple[int, float]:
        """Add `amount` to the key's counter; (its new value, unix time the window ends).
        `known_reset`, the end of this key's window as last seen, may save asking for it."""
        ...

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        """(The counter's value, unix time the window ends) without counting."""
        ...


def window_end(count: int, amount: int, known_reset: float, now: float) -> float | None:
    """The window's end when the claim alone tells it, else None (ask the store)."""
    if count == amount:  # this claim opened the window
        return now + WINDOW_SECONDS
    return known_reset if known_reset > now else None


class MemoryCounters:
    """The library's in-process storage (thread-safe; expired windows dropped by its own timer).
    Its synchronous flavour: the asyncio one schedules a clean-up task per call."""

    def __init__(self) -> None:
        self.storage = MemoryStorage()

    async def claim(self, key: str, amount: int, known_reset: float = 0.0) -> tuple[int, float]:
        count = self.storage.incr(key, WINDOW_SECONDS, amount)
        end = window_end(count, amount, known_reset, time.time())
        return count, self.storage.get_expiry(key) if end is None else end

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        count = self.storage.get(key)
        return count, (self.storage.get_expiry(key) if count else now + WINDOW_SECONDS)

    async def close(self) -> None:
        return None


class RedisCounters:
    """A counter per key on Redis, through the library's Redis storage: a claim is one script
    call (INCRBY, and EXPIRE when it opens the window)."""

    def __init__(self, url: str, prefix: str, timeout: float = STORE_TIMEOUT_SECONDS) -> None:
        self.storage = RedisStorage(
            "async+" + url.removeprefix("async+"),
            implementation="redispy",
            key_prefix=prefix,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )

    async def claim(self, key: str, amount: int, known_reset: float = 0.0) -> tuple[int, float]:
        count = await self.storage.incr(key, WINDOW_SECONDS, amount)
        end = window_end(count, amount, known_reset, time.time())
        return count, await self.storage.get_expiry(key) if end is None else end

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        count = await self.storage.get(key)
        if not count:
            return 0, now + WINDOW_SECONDS
        return count, await self.storage.get_expiry(key)

    async def close(self) -> None:
        bridge: Any = self.storage.bridge  # the redis-py bridge: its client
        await bridge.get_connection().aclose()
