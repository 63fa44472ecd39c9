"""Hourly windows handed out in leases, so that a busy caller costs few calls to the counter
store (a round trip each on Redis; on the in-process store, the library's bookkeeping).

Each process claims a run of units (calls) from the caller's shared counter and hands them out
one per request: every unit is claimed exactly once across all processes, so no more than the
limit are ever allowed. A lease is at most 1/LEASE_SHARE of what the caller had left when it was
claimed (and 1 unit when the process knows nothing yet, or the caller is near the limit), so
units held unused by idle processes can never stand for more than a sliver of the allowance,
and small limits are counted one by one. The next lease is claimed when half of the current
one is used, so a steady caller never waits for the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pichr.api.limits.stores import Counters

MAX_LEASE = 1024
MAX_LOCAL_KEYS = 100_000  # leases kept per process; expired ones go first
LEASE_SHARE = 256


@dataclass(slots=True)
class Lease:
    next: int  # the next unit to hand out
    stop: int  # the last unit of the lease (the shared counter's value once claimed)
    reset: float  # unix time the window, and the lease, ends
    size: int
    following: Lease | None = None  # claimed ahead of need


def lease_size(limit: int, known: int | None) -> int:
    """1 when nothing is known; else a small share of what the caller had left."""
    if known is None:
        return 1
    return max(1, min(MAX_LEASE, (limit - known) // LEASE_SHARE))


class LeasedWindows:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._leases: dict[str, Lease] = {}
        self._claims: dict[str, asyncio.Task[None]] = {}

    async def hit(self, key: str, limit: int, now: float) -> tuple[int, float]:
        while True:
            lease = self._current(key, now)
            if lease is not None and lease.next <= lease.stop:
                unit = lease.next
                lease.next += 1
                if lease.following is None and lease.stop - unit < lease.size // 2:
                    self._claim(key, lease_size(limit, lease.stop), now)  # in the background
                return unit, lease.reset
            size = lease_size(limit, lease.stop if lease else None)
            if size == 1:  # unit by unit: each request claims its own
                stop, reset = await self.counters.claim(key, 1, self._known_reset(key))
                self._keep(key, Lease(stop + 1, stop, reset, 1), now)  # spent: tells the count
                return stop, reset
            await asyncio.shield(self._claim(key, size, now))

    def _current(self, key: str, now: float) -> Lease | None:
        lease = self._leases.get(key)
        spent = lease is not None and (lease.next > lease.stop or lease.reset <= now)
        if spent and lease is not None and lease.following is not None:
            lease = self._leases[key] = lease.following
        if lease is None or lease.reset <= now:
            return None
        return lease

    def _keep(self, key: str, lease: Lease, now: float) -> None:
        """The new lease becomes current, or follows a current one that has units left."""
        current = self._current(key, now)
        if current is not None and current.next <= current.stop:
            if lease.next <= lease.stop:
                current.following = lease
            return
        if len(self._leases) >= MAX_LOCAL_KEYS:
            self._leases = {k: v for k, v in self._leases.items() if v.reset > now}
        self._leases[key] = lease

    def _claim(self, key: str, size: int, now: float) -> asyncio.Task[None]:
        """One lease claim per key at a time. Never a finished one: awaiting a done task does
        not yield, and a loop that awaited one would spin without ever letting it be cleared."""
        task = self._claims.get(key)
        if task is None or task.done():
            task = self._claims[key] = asyncio.create_task(self._claimed(key, size, now))
            task.add_done_callback(_retrieve)
        return task

    async def _claimed(self, key: str, size: int, now: float) -> None:
        try:
            stop, reset = await self.counters.claim(key, size, self._known_reset(key))
            self._keep(key, Lease(stop - size + 1, stop, reset, size), now)
        finally:
            if self._claims.get(key) is asyncio.current_task():
                del self._claims[key]

    def _known_reset(self, key: str) -> float:
        """When this key's window ends, as the last lease claimed here saw it (0: unknown)."""
        lease = self._leases.get(key)
        return lease.reset if lease is not None else 0.0

    async def peek(self, key: str, now: float) -> tuple[int, float]:
        return await self.counters.peek(key, now)


def _retrieve(task: asyncio.Task[None]) -> None:
    """A failed background claim is not an error to report: the next request tries again."""
    if not task.cancelled():
        task.exception()
