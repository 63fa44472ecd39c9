"""Following the event log: the events after a position, and the tracking table that keeps each
follower's position. The projection runners and the job dispatcher (workers/dispatcher.py) both
follow the log through this module: they read a batch and move their tracking row in one
transaction, so a batch is never skipped nor, once committed, taken twice.
"""

from __future__ import annotations

import time
from typing import Any

from psycopg import Connection, Cursor

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.events import LoggedEvent, unseal

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " name text PRIMARY KEY, position bigint NOT NULL DEFAULT 0)",
    "ALTER TABLE projection_tracking ADD COLUMN IF NOT EXISTS schema text NOT NULL DEFAULT ''",
)
POSITION = "SELECT position FROM projection_tracking WHERE name = %s"
POSITIONS = "SELECT name, position FROM projection_tracking"
MOVE = "UPDATE projection_tracking SET position = %s WHERE name = %s"
SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state "
    f"FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
# The head of the log and the wanted events after a position, from one snapshot: every
# committed event up to the head is in that snapshot (writers insert under a table lock, in
# id order), so a reader may move its position to the head without skipping one. No event of
# the snapshot lies past its head, so the events need no upper bound: with one (unknown when
# planning) the planner guessed a few rows and sorted the whole rest of the log for every
# batch of a rebuild; without it, it walks the notification_id index and stops at the limit.
SELECT_TOPICS_AFTER = (
    f"WITH head AS (SELECT max(notification_id) AS h FROM {EVENTS_TABLE})"
    " SELECT head.h, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state"
    " FROM head LEFT JOIN LATERAL (SELECT * FROM "
    f"{EVENTS_TABLE} WHERE notification_id > %s"
    " AND topic = ANY(%s) ORDER BY notification_id LIMIT %s) e ON true"
)
# Whether any wanted event lies after a follower's position, and the head: one statement,
# for followers that look before they lock (most commits carry nothing they want).
LOOK = (
    "WITH t AS (SELECT coalesce(max(position), 0) AS p FROM projection_tracking WHERE name = %s)"
    f" SELECT t.p, EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE notification_id > t.p"
    f" AND topic = ANY(%s)), (SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE})"
    " FROM t"
)


def ensure_tracking(conn: Connection[Any], name: str, schema: str) -> str:
    """Create the tracking row when missing; the schema hash the tables were built with."""
    with conn.transaction():
        for ddl in TRACKING_DDL:
            conn.execute(ddl)
        conn.execute(
            "INSERT INTO projection_tracking (name, schema) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (name, schema),
        )
        row = conn.execute(
            "SELECT schema FROM projection_tracking WHERE name = %s", (name,)
        ).fetchone()
    return str(row[0]) if row else schema


def locked_position(cur: Cursor[Any], name: str) -> int:
    """The follower's position, its row locked until the transaction ends (0 when missing)."""
    cur.execute(POSITION + " FOR UPDATE", (name,))
    row = cur.fetchone()
    return int(row[0]) if row else 0


def move(cur: Cursor[Any], name: str, position: int) -> None:
    cur.execute(MOVE, (position, name))


def look(cur: Cursor[Any], name: str, topics: tuple[str, ...]) -> tuple[int, bool, int]:
    """(the follower's position, whether an event of `topics` lies after it, the head)."""
    cur.execute(LOOK, (name, list(topics)), prepare=True)
    row = cur.fetchone()
    return (int(row[0]), bool(row[1]), int(row[2])) if row else (0, False, 0)


def read_after(cur: Cursor[Any], position: int, limit: int) -> list[LoggedEvent]:
    """Up to `limit` events after `position`, of any topic."""
    return read_batch(cur, position, limit)[0]


def read_batch(
    cur: Cursor[Any], position: int, limit: int, topics: tuple[str, ...] | None = None
) -> tuple[list[LoggedEvent], int]:
    """Up to `limit` events after `position` (only `topics` when given), and the position a
    reader reaches by folding them: the last event's, or the head when no wanted event is left.
    """
    # Rows come in binary: bytea needs no unescaping, ids no parsing (twice as fast).
    if topics is None:
        cur.execute(SELECT_AFTER, (position, limit), prepare=True, binary=True)
        rows = cur.fetchall()
        events = unseal(cur, [LoggedEvent(r[0], r[1], r[2], r[3], state=r[4]) for r in rows])
        return events, events[-1].position if events else position
    cur.execute(SELECT_TOPICS_AFTER, (position, list(topics), limit), prepare=True, binary=True)
    events, reached = headed_batch(cur.fetchall(), 1, limit, position)
    return unseal(cur, events), reached


def headed_batch(
    rows: list[Any], first: int, limit: int, position: int
) -> tuple[list[LoggedEvent], int]:
    """Rows with the head of the log in column 0 and an event's five columns from `first` (None
    when no event matched): the events, and the position a reader at `position` reaches by
    folding them: the last event's when the batch is full, else the head."""
    events = [
        LoggedEvent(*r[first : first + 4], state=r[first + 4]) for r in rows if r[first] is not None
    ]
    head = rows[0][0] if rows and rows[0][0] is not None else position
    reached = events[-1].position if len(events) == limit else max(head, position)
    return events, reached


def wait_until(conn: Connection[Any], name: str, position: int, timeout: float) -> bool:
    """Poll the tracking table (used by the CLI, which has no waiter)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(POSITION, (name,)).fetchone()
        if row and row[0] >= position:
            return True
        time.sleep(0.02)
    return False
