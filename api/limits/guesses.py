"""Wrong album-password guesses per (album, client): the `limits` library's moving window, in
the process, or on the rate limiter's Redis (PICHR_REDIS_URL) so that every API process counts
the same guesses. A store that is down is treated like the gate treats it: guesses go
uncounted (a warning), or 503 with PICHR_LIMITS_FAIL_CLOSED."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from pichr.api.limits.stores import STORE_TIMEOUT_SECONDS
from pichr.application.albums.passwords import GUESSES_PER_WINDOW, WINDOW_SECONDS
from pichr.domain.errors import UnavailableError

log = logging.getLogger("pichr.limits")
T = TypeVar("T")


class MovingWindowGuesses:
    def __init__(
        self,
        redis_url: str = "",
        prefix: str = "pichr",
        *,
        limit: int = GUESSES_PER_WINDOW,
        window_seconds: int = int(WINDOW_SECONDS),
        fail_closed: bool = False,
    ) -> None:
        storage: Storage = MemoryStorage()
        if redis_url:
            storage = RedisStorage(
                "async+" + redis_url.removeprefix("async+"),
                implementation="redispy",
                key_prefix=prefix + ":guesses",
                socket_timeout=STORE_TIMEOUT_SECONDS,
                socket_connect_timeout=STORE_TIMEOUT_SECONDS,
            )
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = RateLimitItemPerSecond(limit, window_seconds)
        self.fail_closed = fail_closed

    async def retry_after(self, key: str) -> float:
        """Seconds until the key may guess again; 0 when it may guess now."""
        stats = await self._guarded(self.limiter.get_window_stats(self.item, key), None)
        if stats is None or stats.remaining > 0:
            return 0.0
        return max(0.0, stats.reset_time - time.time())

    async def wrong_guess(self, key: str) -> bool:
        """Count a guess before it is checked; False when the window is already full (so
        parallel guesses cannot all slip under the limit)."""
        return await self._guarded(self.limiter.hit(self.item, key), True)

    async def forgive(self, key: str) -> None:
        """The guess was right: the caller knows the password, its wrong guesses are forgotten."""
        await self._guarded(self.limiter.clear(self.item, key), None)

    async def _guarded(self, call: Awaitable[T], when_down: T) -> T:
        try:
            return await call
        except Exception as exc:
            if self.fail_closed:
                raise UnavailableError("The rate-limit store is unavailable.") from exc
            log.warning("rate-limit store unavailable, album guesses not counted: %r", exc)
            return when_down
