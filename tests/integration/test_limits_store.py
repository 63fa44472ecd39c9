"""The limit store: in-process by default; Redis down means fail open (and a warning), or 503
when PICHR_LIMITS_FAIL_CLOSED is set. That a dead or hanging store gives up on each call at once
(so it never slows the calls down) is counted in tests/unit/test_limit_store_outage.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.integration.multiproc import ThrowawayRedis
from tests.integration.s3server import free_port
from tests.integration.server import (
    PichrServer,
    assert_error,
    fresh_server,
)
from tests.support.hangups import hang_ups

pytestmark = pytest.mark.integration
WARNING = "rate-limit store unavailable"


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    store = ThrowawayRedis()
    store.start()
    try:
        yield store
    finally:
        store.kill()


@pytest.fixture(scope="module")
def embedded(pg_admin_url: str) -> Iterator[PichrServer]:
    """`pichr serve` with no Redis and no trusted proxy."""
    plans = {"free": {"callsPerHour": 5}, "anonymous": {"callsPerHour": 3}}
    with fresh_server(pg_admin_url, "limit-memory", PICHR_PLANS=json.dumps(plans)) as server:
        yield server


def test_the_embedded_default_limits_in_process(embedded: PichrServer) -> None:
    who = embedded.new_account()
    with embedded.client() as client:
        answers = [client.get("/api/v1/files", headers=who.headers) for _ in range(6)]
    assert [r.status_code for r in answers] == [200] * 5 + [429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0", "0"]
    assert assert_error(answers[-1], 429)["limit"] == "callsPerHour"


def test_forwarded_for_is_ignored_without_a_trusted_proxy(embedded: PichrServer) -> None:
    with embedded.client() as client:
        answers = [
            client.get("/api/v1/files/file_none", headers={"X-Forwarded-For": f"198.51.100.{n}"})
            for n in range(4)
        ]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]  # one address: the peer


def test_a_dead_redis_fails_open_with_a_warning_and_limits_come_back_with_it(
    pg_admin_url: str, redis_server: ThrowawayRedis
) -> None:
    with fresh_server(pg_admin_url, "redis-down", PICHR_REDIS_URL=redis_server.url) as server:
        who = server.new_account()
        with server.client() as client:
            before = client.get("/api/v1/files", headers=who.headers)
            assert before.headers["X-RateLimit-Remaining"] == "999"

            redis_server.kill()
            during = [client.get("/api/v1/files", headers=who.headers) for _ in range(5)]
            assert [r.status_code for r in during] == [200] * 5
            assert all("X-RateLimit-Limit" not in r.headers for r in during)
            log = server.stderr_tail(20_000)
            assert WARNING in log
            assert log.count(WARNING) == 1  # once per interval, not once per call
            with hang_ups(redis_server.port) as dead:  # where Redis was: counts the tries
                counted = [client.get("/api/v1/files", headers=who.headers) for _ in range(3)]
            assert [r.status_code for r in counted] == [200] * 3
            assert 0 < dead.attempts <= 3  # one try per call: no retries, no back-off to wait for

            redis_server.start()  # an empty store: the window starts again
            after = client.get("/api/v1/files", headers=who.headers)
            assert after.status_code == 200
            assert after.headers["X-RateLimit-Remaining"] == "999"


def test_a_dead_redis_is_a_503_when_limits_fail_closed(pg_admin_url: str) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    env = {"PICHR_REDIS_URL": closed, "PICHR_LIMITS_FAIL_CLOSED": "true"}
    with fresh_server(pg_admin_url, "redis-closed", **env) as server:
        who = server.new_account()
        with server.client() as client:
            refused = client.get("/api/v1/files", headers=who.headers)
            assert_error(refused, 503)
            anonymous = client.get("/api/v1/files/file_none")
            assert_error(anonymous, 503)
            assert client.get("/health").status_code == 200  # not an API call
