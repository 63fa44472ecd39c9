"""One transaction for every projection a runner follows: a round reads the log once and
commits once, where folding them one by one cost a transaction (and a disk flush) each.

Rows and positions still commit together, each projection applies only the events after its
own position, and the tracking rows are locked (in name order, so runners never deadlock)
for the round: two runners never apply an event twice. When a round fails the runner folds
the projections one by one instead, so a broken projection stops only itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Connection

from application.app import EVENTS_TABLE
from projections.base import CHANNEL, Projection
from projections.events import LoggedEvent

LOCK_TRACKING = (
    "SELECT name, position FROM projection_tracking WHERE name = ANY(%s) ORDER BY name FOR UPDATE"
)
# The events after the lowest of the positions just locked (read in the same round trip as
# the lock: this statement runs after it, and no one can move a locked position). As in
# projections/events.py, the head comes from the same snapshot as the events.
_AFTER_LOWEST = (
    f"WITH head AS (SELECT max(notification_id) AS h FROM {EVENTS_TABLE}),"
    " low AS (SELECT coalesce(min(position), 0) AS p FROM projection_tracking"
    " WHERE name = ANY(%s))"
    " SELECT head.h, low.p, e.notification_id, e.originator_id, e.originator_version,"
    " e.topic, e.state FROM head CROSS JOIN low LEFT JOIN LATERAL (SELECT * FROM"
    f" {EVENTS_TABLE} WHERE notification_id > low.p{{topics}}"
    " ORDER BY notification_id LIMIT %s) e ON true"
)
READ_ALL = _AFTER_LOWEST.format(topics="")
READ_TOPICS = _AFTER_LOWEST.format(topics=" AND topic = ANY(%s)")
MOVE_TRACKING = (
    "UPDATE projection_tracking AS t SET position = m.position"
    " FROM unnest(%s::text[], %s::bigint[]) AS m(name, position) WHERE t.name = m.name"
)
NOTIFY = "SELECT pg_notify(%s, note) FROM unnest(%s::text[]) AS note"


def wanted_topics(projections: Sequence[Projection]) -> tuple[str, ...] | None:
    """Every topic one of them reads; None when one reads the whole log."""
    topics: set[str] = set()
    for projection in projections:
        mine: tuple[str, ...] | None = getattr(projection, "topics", None)
        if mine is None:
            return None
        topics.update(mine)
    return tuple(sorted(topics))


def process_round(
    conn: Connection[Any],
    projections: Sequence[Projection],
    batch: int,
    topics: tuple[str, ...] | None,
) -> tuple[int, bool]:
    """Fold the next batch into every projection in one transaction: (events applied, whether
    the batch was full, i.e. more may wait). `topics`: wanted_topics(projections)."""
    names = [p.name for p in projections]
    applied = 0
    read, params = (
        (READ_ALL, (names, batch))
        if topics is None
        else (READ_TOPICS, (names, list(topics), batch))
    )
    # The lock and the read go out together, and so do the moves, the notes and the COMMIT
    # (pipelined); the projections' own statements run as usual (they may COPY).
    try:
        with conn.cursor() as cur, conn.cursor() as log:
            with conn.pipeline():
                cur.execute(LOCK_TRACKING, (names,), prepare=True)
                log.execute(read, params, prepare=True, binary=True)
                positions = {str(name): int(position) for name, position in cur.fetchall()}
                events, reached = _batch(log.fetchall(), batch)
            moved: dict[str, int] = {}
            notes: list[str] = []
            for projection in projections:
                position = positions.get(projection.name, 0)
                if reached <= position:
                    continue
                mine: tuple[str, ...] | None = getattr(projection, "topics", None)
                due = [
                    e for e in events if e.position > position and (mine is None or e.topic in mine)
                ]
                if due:
                    projection.apply(cur, due, "")
                applied += len(due)
                moved[projection.name] = reached
                # "name:position:applied": followers skip their catch-up query when none applied.
                notes.append(f"{projection.name}:{reached}:{len(due)}")
            with conn.pipeline():
                if moved:
                    cur.execute(MOVE_TRACKING, (list(moved), list(moved.values())), prepare=True)
                    cur.execute(NOTIFY, (CHANNEL, notes), prepare=True)
                conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    return applied, len(events) == batch


def _batch(rows: list[Any], limit: int) -> tuple[list[LoggedEvent], int]:
    """The events read, and the position their fold reaches: the last event's when the batch
    is full, else the head (no wanted event lies between them)."""
    if not rows:
        return [], 0
    head, start = rows[0][0], int(rows[0][1])
    events = [LoggedEvent(r[2], r[3], r[4], r[5], state=r[6]) for r in rows if r[2] is not None]
    if len(events) == limit:
        return events, events[-1].position
    return events, max(int(head or 0), start)
