"""Where the hourly windows are counted: a dict in the process, or a counter per key on Redis
shared by every process (api/limit_leases.py hands its units out).

On Redis, the requests of one turn of the event loop go out together as one script call over
all their keys: a busy process pays one round trip, and one reply to parse, per batch rather
than per request. (One script over several keys: a single Redis, not Redis Cluster.)
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import redis.asyncio as aredis
from redis.exceptions import NoScriptError

WINDOW_SECONDS = 3600
STORE_TIMEOUT_SECONDS = 0.5  # a store that hangs must not hang every request
MAX_LOCAL_KEYS = 100_000
MAX_BATCH = 500  # keys per script call: Redis runs one script at a time
# Add ARGV[i + 1] to key i; a key without a lifetime (a new window) gets one (ARGV[1] ms).
# One reply string, "count ms_left" per key, comma-separated: cheap to parse, however many.
CLAIM = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[i + 1])
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    left = tonumber(ARGV[1])
  end
  out[i] = count .. ' ' .. left
end
return table.concat(out, ',')
"""


class WindowStore(Protocol):
    async def hit(self, key: str, limit: int, now: float) -> tuple[int, float]:
        """Count one hit; (its number in the window, unix time the window ends)."""
        ...

    async def peek(self, key: str, now: float) -> tuple[int, float]: ...

    async def check(self) -> None: ...


class LocalWindows:
    """A dict of [count, end] per key. One event loop per process and no await between read
    and write, so no lock is needed."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}

    async def hit(self, key: str, limit: int, now: float) -> tuple[int, float]:
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            if len(self._windows) >= MAX_LOCAL_KEYS:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = self._windows[key] = [0, now + WINDOW_SECONDS]
        window[0] += 1
        return int(window[0]), window[1]

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            return 0, now + WINDOW_SECONDS
        return int(window[0]), window[1]

    async def check(self) -> None:
        return None


Pending = list[tuple[str, int, asyncio.Future[tuple[int, float]]]]


class RedisCounters:
    """A counter per key with the window's lifetime; `claim` adds to one and answers its new
    value and the milliseconds left in the window."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client: Any = aredis.Redis.from_url(
            url,
            socket_timeout=STORE_TIMEOUT_SECONDS,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        )
        self.prefix = prefix + ":"
        self._sha = ""
        self._pending: Pending = []
        self._sending: set[asyncio.Task[None]] = set()  # strong references while in flight

    async def claim(self, key: str, amount: int) -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[int, float]] = loop.create_future()
        if not self._pending:  # the first claim of this turn of the loop sends them all
            loop.call_soon(self._send_pending)
        self._pending.append((self.prefix + key, amount, answer))
        return await answer

    def _send_pending(self) -> None:
        """One script call for the claims of this turn of the loop (several may be in flight)."""
        batch, self._pending = self._pending, []
        for start in range(0, len(batch), MAX_BATCH):
            task = asyncio.create_task(self._answer(batch[start : start + MAX_BATCH]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _answer(self, batch: Pending) -> None:
        try:
            replies = await self._send(batch)
        except Exception as exc:  # each caller decides: fail open, or closed
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
        else:
            for (_, _, answer), reply in zip(batch, replies, strict=True):
                if not answer.done():
                    answer.set_result(reply)

    async def _send(self, batch: Pending) -> list[tuple[int, float]]:
        args = [len(batch), *(key for key, _, _ in batch), WINDOW_SECONDS * 1000]
        args += [amount for _, amount, _ in batch]
        if not self._sha:
            self._sha = await self.client.script_load(CLAIM)
        try:
            raw = await self.client.evalsha(self._sha, *args)
        except NoScriptError:  # Redis restarted (or SCRIPT FLUSH): load the script again
            self._sha = await self.client.script_load(CLAIM)
            raw = await self.client.evalsha(self._sha, *args)
        pairs = (item.split(b" ") for item in raw.split(b","))
        return [(int(count), float(left)) for count, left in pairs]

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self.prefix + key)
        pipe.pttl(self.prefix + key)
        count, left_ms = await pipe.execute()
        if count is None or left_ms < 0:
            return 0, now + WINDOW_SECONDS
        return int(count), now + left_ms / 1000

    async def check(self) -> None:
        await self.client.ping()
