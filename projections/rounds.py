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

from projections.base import CHANNEL, Projection
from projections.events import read_batch

LOCK_TRACKING = (
    "SELECT name, position FROM projection_tracking WHERE name = ANY(%s) ORDER BY name FOR UPDATE"
)
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
    applied, full = 0, False
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(LOCK_TRACKING, (names,), prepare=True)
        positions = {str(name): int(position) for name, position in cur.fetchall()}
        start = min(positions.get(name, 0) for name in names)
        events, reached = read_batch(cur, start, batch, topics)
        full = len(events) == batch
        moved: dict[str, int] = {}
        notes: list[str] = []
        for projection in projections:
            position = positions.get(projection.name, 0)
            if reached <= position:
                continue
            mine: tuple[str, ...] | None = getattr(projection, "topics", None)
            wanted = [
                e for e in events if e.position > position and (mine is None or e.topic in mine)
            ]
            if wanted:
                projection.apply(cur, wanted, "")
            applied += len(wanted)
            moved[projection.name] = reached
            # "name:position:applied": followers skip their catch-up query when none applied.
            notes.append(f"{projection.name}:{reached}:{len(wanted)}")
        if moved:
            cur.execute(MOVE_TRACKING, (list(moved), list(moved.values())), prepare=True)
            cur.execute(NOTIFY, (CHANNEL, notes), prepare=True)
    return applied, full
