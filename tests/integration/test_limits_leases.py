"""The Redis window store on the real Redis, as four API processes would use it (four stores,
each with its own connections): every unit is handed out once, never more than the limit, and
leases keep a busy caller off Redis without eating its allowance."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from pichr.api.limits.leases import LEASE_SHARE, MAX_LEASE, LeasedWindows
from pichr.api.limits.stores import RedisCounters
from tests.integration.multiproc import REDIS_URL, delete_redis_keys

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]  # a spinning store hangs
PROCESSES = 4
TIMEOUT_S = 10.0


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"pichr-test-{uuid.uuid4().hex[:12]}"
    yield name
    delete_redis_keys(name)


def counter(prefix: str, key: str) -> int:
    with redis.Redis.from_url(REDIS_URL) as client:
        return int(client.get(f"{prefix}:{key}") or 0)


class CountedCounters(RedisCounters):
    """The real Redis counters, counting the claims sent to them."""

    claims = 0

    async def claim(self, key: str, amount: int, known_reset: float = 0.0) -> tuple[int, float]:
        CountedCounters.claims += 1
        return await super().claim(key, amount, known_reset)


async def hits(prefix: str, limit: int, count: int, *, spread: int = PROCESSES) -> list[int]:
    """`count` hits from 64 concurrent clients (as wrk -c64 sends them), dealt round-robin
    over `spread` of the four stores."""
    # Four stores and 64 clients share this one event loop, where four servers would have a
    # loop each: on a busy machine, connecting the first 64 claims at once took longer than
    # the store's 0.5 s (tests/integration/test_limits_store.py tests that timeout).
    stores = [
        LeasedWindows(CountedCounters(REDIS_URL, prefix, timeout=TIMEOUT_S))
        for _ in range(PROCESSES)
    ]
    numbers = iter(range(count))
    units: list[int] = []

    async def client() -> None:
        for n in numbers:
            unit, _ = await stores[n % spread].hit("calls/usr_a", limit, time.time())
            units.append(unit)

    try:
        await asyncio.gather(*(client() for _ in range(64)))
    finally:
        for store in stores:
            await store.counters.close()
    return units


def test_a_small_limit_is_counted_unit_by_unit_across_processes(prefix: str) -> None:
    before = CountedCounters.claims
    units = asyncio.run(hits(prefix, 40, 60))
    assert CountedCounters.claims - before == 60
    assert sorted(units) == list(range(1, 61))  # each request its own unit, none twice
    assert sum(unit <= 40 for unit in units) == 40
    assert counter(prefix, "calls/usr_a") == 60


def test_a_large_limit_is_leased_without_handing_out_a_unit_twice(prefix: str) -> None:
    before = CountedCounters.claims
    units = asyncio.run(hits(prefix, 10_000_000, 20_000))
    assert CountedCounters.claims - before < 20_000 / 16  # mostly served from leases
    assert len(set(units)) == len(units) == 20_000
    assert all(unit <= 10_000_000 for unit in units)
    # Leased units not handed out yet: at most a lease and the next one per process.
    assert 20_000 <= counter(prefix, "calls/usr_a") <= 20_000 + PROCESSES * 2 * MAX_LEASE


def test_leases_near_the_limit_never_allow_more_than_the_limit(prefix: str) -> None:
    limit = 2_000
    units = asyncio.run(hits(prefix, limit, 2_600))
    allowed = [unit for unit in units if unit <= limit]
    assert len(set(units)) == len(units)
    assert len(allowed) == limit  # every process kept handing its leases out: nothing lost


def test_units_held_by_an_idle_process_are_a_sliver_of_the_allowance(prefix: str) -> None:
    limit = 20_000

    async def scenario() -> list[int]:
        # Four processes lease and go away; then one process gets all the caller's requests.
        first = await hits(prefix, limit, PROCESSES * 200)
        return first + await hits(prefix, limit, limit, spread=1)

    units = asyncio.run(scenario())
    allowed = sum(unit <= limit for unit in units)
    assert allowed <= limit
    held = PROCESSES * 2 * min(MAX_LEASE, limit // LEASE_SHARE)  # a lease and the next, each
    assert allowed >= limit - held
