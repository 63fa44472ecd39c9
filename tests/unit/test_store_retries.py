"""The recorder's retry policy: ten tries for a broken connection, four for a database that
cannot be reached at all (the pool's timeout), none for other errors."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError
from psycopg_pool import PoolTimeout

from pichr.application.store import retries


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retries, "sleep", lambda _s: None)


def failing(times: int, error: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "ok"

    return calls, call


def pool_timeout() -> OperationalError:
    try:
        raise OperationalError("couldn't get a connection") from PoolTimeout("timeout")
    except OperationalError as exc:
        return exc


def test_a_broken_connection_is_retried_until_it_works() -> None:
    calls, call = failing(9, OperationalError("server closed the connection"))
    assert retries.retrying(call) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 10


def test_a_broken_connection_gives_up_after_ten_tries() -> None:
    calls, call = failing(10, OperationalError("server closed the connection"))
    with pytest.raises(OperationalError):
        retries.retrying(call)  # type: ignore[arg-type]
    assert len(calls) == 10


def test_an_unreachable_database_gives_up_after_four_tries() -> None:
    calls, call = failing(10, pool_timeout())
    with pytest.raises(OperationalError):
        retries.retrying(call)  # type: ignore[arg-type]
    assert len(calls) == 4
    assert retries.unreachable(pool_timeout())
    assert not retries.unreachable(OperationalError("closed"))


def test_other_errors_are_not_retried() -> None:
    calls, call = failing(1, IntegrityError("version taken"))
    with pytest.raises(IntegrityError):
        retries.retrying(call)  # type: ignore[arg-type]
    assert len(calls) == 1
