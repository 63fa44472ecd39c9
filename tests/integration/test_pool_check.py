"""The event store pool pings only connections that sat idle (application/store/pool_check.py): none
while commands follow each other, and a broken idle one is replaced before any command meets it."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from pichr.application.store import pool_check
from tests.integration.helpers import make_app


def _backend(pool: ConnectionPool[Any]) -> int:
    with pool.connection() as conn:
        return int(conn.info.backend_pid)


def _kill(database_url: str, pid: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_the_event_store_pool_checks_with_ping_when_idle(database_url: str) -> None:
    app = make_app(database_url)
    try:
        assert app.recorder.datastore.pool._check is pool_check.ping_when_idle  # type: ignore[attr-defined]
    finally:
        app.close()


def test_a_connection_in_use_is_not_pinged_an_idle_broken_one_is_replaced(
    database_url: str,
) -> None:
    with ConnectionPool(
        database_url, min_size=1, max_size=1, check=pool_check.ping_when_idle
    ) as pool:
        pid = _backend(pool)
        _kill(database_url, pid)
        # Handed out again at once: not pinged, so the command itself meets the broken one.
        with pool.connection() as conn:
            assert conn.info.backend_pid == pid
            assert conn.closed or _fails(conn)
        # The pool drops it; a fresh one comes up, serves, then sits idle and breaks.
        fresh = _backend(pool)
        assert fresh != pid
        _kill(database_url, fresh)
        time.sleep(pool_check.IDLE_S * 1.5)
        with pool.connection() as conn:  # pinged, found broken, replaced before use
            assert conn.info.backend_pid not in (pid, fresh)
            assert conn.execute("SELECT 1").fetchone() == (1,)


def _fails(conn: psycopg.Connection[Any]) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False
