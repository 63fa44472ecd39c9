"""What an operator's dashboard reads from the database at scrape time (api/routes/metrics.py):
the log's head, how far each follower of the log (projections, the job dispatcher) is behind
it, and the jobs waiting, running and dead. Read from PostgreSQL, so every API process answers
the same whatever process did the work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.events import LoggedEvent

HEAD = f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"
# Each follower's position and the oldest event it has not folded yet (its commit time is how
# long the follower has been behind; one row through the primary key per follower).
FOLLOWERS = (
    "SELECT t.name, t.position, (SELECT e.state FROM "
    f"{EVENTS_TABLE} e WHERE e.notification_id > t.position"
    " ORDER BY e.notification_id LIMIT 1) FROM projection_tracking t ORDER BY t.name"
)
# dramatiq-postgres (the default broker): a row per message; `consumed` is being worked on.
BROKER_JOBS = (
    "SELECT queue_name, state::text, count(*) FROM dramatiq.queue"
    " WHERE state IN ('queued', 'consumed') GROUP BY 1, 2"
)
_NO_ID = UUID(int=0)  # the oldest event's originator does not matter here
DEAD_JOBS = "SELECT queue, count(*) FROM job_failures GROUP BY queue"  # workers/failures.py


class Follower(msgspec.Struct, frozen=True):
    name: str
    position: int
    lag_events: int
    lag_seconds: float


class OpsState(msgspec.Struct, frozen=True):
    head: int
    followers: list[Follower]
    queued: dict[str, int]  # queue -> jobs; empty when the broker is not PostgreSQL
    running: dict[str, int]
    dead: dict[str, int]


class OpsReads:
    """`broker_in_database`: the jobs live in PostgreSQL (no PICHR_BROKER_URL, or a
    postgresql:// one); with RabbitMQ or Redis, their own exporters count the queues."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, broker_in_database: bool) -> None:
        self.pool = pool
        self.broker_in_database = broker_in_database

    async def state(self) -> OpsState:
        async with self.pool.connection() as conn:
            head = int((await _rows(conn, HEAD))[0][0])
            now = datetime.now(UTC)
            followers = [_follower(row, head, now) for row in await _rows(conn, FOLLOWERS)]
            jobs = await _rows(conn, BROKER_JOBS) if self.broker_in_database else []
            dead = await _rows(conn, DEAD_JOBS)
        queued = {q: int(n) for q, state, n in jobs if state == "queued"}
        running = {q: int(n) for q, state, n in jobs if state == "consumed"}
        return OpsState(head, followers, queued, running, {q: int(n) for q, n in dead})


async def _rows(conn: AsyncConnection[Any], sql: str) -> list[tuple[Any, ...]]:
    """The rows, or none when the table is not there yet (no worker has run: no job tables)."""
    table = {BROKER_JOBS: "dramatiq.queue", DEAD_JOBS: "job_failures"}.get(sql)
    if table is not None:
        cur = await conn.execute("SELECT to_regclass(%s)", (table,))
        found = await cur.fetchone()
        if found is None or found[0] is None:
            return []
    cur = await conn.execute(sql)
    return list(await cur.fetchall())


def _follower(row: tuple[Any, ...], head: int, now: datetime) -> Follower:
    name, position, oldest_state = row
    behind = max(0, head - int(position))
    seconds = 0.0
    if behind and oldest_state is not None:
        oldest = LoggedEvent(int(position) + 1, _NO_ID, 0, "", state=bytes(oldest_state))
        committed = datetime.fromisoformat(oldest.timestamp)
        seconds = max(0.0, (now - committed).total_seconds())
    return Follower(str(name), int(position), behind, seconds)
