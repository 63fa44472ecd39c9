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

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.events import unseal
from pichr.projections.log.reader import headed_batch
from pichr.projections.views.base import CHANNEL, Projection

# One statement locks the runner's tracking rows (in name order: runners never deadlock) and
# reads the events after the lowest of their positions. Its snapshot may predate a lock it had
# to wait for; the locked rows then show the newer positions, and the fold reaches at most the
# head of its own snapshot, in which, as in projections/log/reader.py, every event up to the head
# is visible (writers insert under a table lock, in id order).
_LOCK_AND_READ = (
    "WITH locked AS (SELECT name, position FROM projection_tracking WHERE name = ANY(%s)"
    " ORDER BY name FOR UPDATE),"
    " low AS (SELECT coalesce(min(position), 0) AS p, array_agg(name) AS names,"
    " array_agg(position) AS positions FROM locked),"
    f" head AS (SELECT max(notification_id) AS h FROM {EVENTS_TABLE})"
    " SELECT head.h, low.p, low.names, low.positions, e.notification_id, e.originator_id,"
    " e.originator_version, e.topic, e.state FROM head CROSS JOIN low LEFT JOIN LATERAL"
    f" (SELECT * FROM {EVENTS_TABLE} WHERE notification_id > low.p{{topics}}"
    " ORDER BY notification_id LIMIT %s) e ON true"
)
READ_ALL = _LOCK_AND_READ.format(topics="")
READ_TOPICS = _LOCK_AND_READ.format(topics=" AND topic = ANY(%s)")
# The moves and their notes, one statement (the UPDATE runs whatever the SELECT reads).
MOVE_AND_NOTIFY = (
    "WITH moved AS (UPDATE projection_tracking AS t SET position = m.position"
    " FROM unnest(%s::text[], %s::bigint[]) AS m(name, position) WHERE t.name = m.name"
    " RETURNING 1) SELECT pg_notify(%s, note) FROM unnest(%s::text[]) AS note"
)


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
    # Plain statements, no pipeline mode: psycopg's pipeline loop runs in Python, and under
    # load this process is bound by its GIL more than by round trips.
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(read, params, prepare=True, binary=True)
        rows = cur.fetchall()
        positions = dict(zip(rows[0][2] or [], rows[0][3] or [], strict=True)) if rows else {}
        start = int(rows[0][1]) if rows else 0
        events, reached = headed_batch(rows, 4, batch, start)
        unseal(cur, events)
        moved: dict[str, int] = {}
        notes: list[str] = []
        for projection in projections:
            position = int(positions.get(projection.name, 0))
            if reached <= position:
                continue
            mine: tuple[str, ...] | None = getattr(projection, "topics", None)
            due = [e for e in events if e.position > position and (mine is None or e.topic in mine)]
            if due:
                projection.apply(cur, due, "")
            applied += len(due)
            moved[projection.name] = reached
            # "name:position:applied": followers skip their catch-up query when none applied.
            notes.append(f"{projection.name}:{reached}:{len(due)}")
        if moved:
            cur.execute(
                MOVE_AND_NOTIFY, (list(moved), list(moved.values()), CHANNEL, notes), prepare=True
            )
    return applied, len(events) == batch
