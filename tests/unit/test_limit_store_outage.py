"""A limit store that is down gives up on each call at once, and one that hangs gives up on its
own: the gate then serves the call without limits, or refuses it when told to fail closed
(the servers' side: tests/integration/test_limits_store.py). Counted, not timed."""

from __future__ import annotations

import asyncio

from pichr.api.limits.limiter import Limiter
from tests.support.hangups import hang_ups


def failed_hits(port: int, count: int) -> list[str]:
    """What each of `count` hits on a limiter whose Redis is at `port` raised."""

    async def scenario() -> list[str]:
        limiter, raised = Limiter(f"redis://127.0.0.1:{port}/0", "t"), []
        for _ in range(count):
            try:
                await limiter.hit("calls", "usr_a", 100)
            except Exception as exc:  # what the gate catches
                raised.append(type(exc).__name__)
        return raised

    return asyncio.run(scenario())


def test_a_store_that_hangs_up_is_asked_once_per_call_with_no_retries() -> None:
    with hang_ups() as dead:
        assert failed_hits(dead.port, 3) == ["ConnectionError"] * 3
        assert dead.attempts == 3  # no retry, so no back-off between retries either


def test_a_store_that_never_answers_times_out_by_itself_once_per_call() -> None:
    with hang_ups(hold=True) as stuck:
        assert failed_hits(stuck.port, 2) == ["TimeoutError"] * 2  # its own socket timeout
        assert stuck.attempts == 2
