"""The event store pool's connection check: a ping only for a connection that sat idle.

eventsourcing's pre-ping runs an empty statement before every use of a pooled connection: a
round trip per command, a dozen per upload. Under load a connection comes back within
milliseconds of its last use, and a database restart takes far longer than IDLE_S, so a
connection that lived through one has sat idle since and gets its ping. A restart quicker
than that meets the recorder's retries, whose waits make the other connections idle long
enough to be pinged too.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

IDLE_S = 0.5
_LAST = "_pichr_checked_at"  # on the connection: when the pool last handed it out


def ping_when_idle(conn: Connection[Any]) -> None:
    """Raises (and the pool replaces the connection) when an idle connection is broken."""
    now = monotonic()
    last: float | None = getattr(conn, _LAST, None)
    setattr(conn, _LAST, now)
    if last is None or now - last >= IDLE_S:
        ConnectionPool.check_connection(conn)


def install(pool: ConnectionPool[Any]) -> None:
    """In place of the library's ping before every use, when POSTGRES_PRE_PING set one."""
    if not hasattr(pool, "_check"):
        raise RuntimeError("psycopg_pool changed: no connection check to replace")
    if pool._check is not None:
        pool._check = ping_when_idle  # psycopg_pool takes it only at construction
