"""Follows the event log and folds it into one projection's tables, a batch per transaction.

Each transaction locks the projection's tracking row, reads the events after its position,
applies them and moves the position: rows and position commit together, and two runners of
the same projection never apply an event twice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import Connection

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.reader import (
    ensure_tracking,
    locked_position,
    move,
    read_batch,
)
from pichr.projections.log.rounds import process_round, wanted_topics
from pichr.projections.views.base import CHANNEL, Projection

log = logging.getLogger("pichr.projections")


def schema_hash(projection: Projection) -> str:
    """Changes whenever the projection's DDL changes: its tables must then be rebuilt."""
    return hashlib.sha256("\n".join(projection.create_sql("")).encode()).hexdigest()[:16]


def ensure_schema(
    conn: Connection[Any], projection: Projection, suffix: str = "", *, indexes: bool = True
) -> None:
    """Tables (and, unless told otherwise, their secondary indexes) and the tracking row."""
    ensure_tracking(conn, projection.name + suffix, schema_hash(projection))
    with conn.transaction():
        for ddl in projection.create_sql(suffix):
            if indexes or not is_secondary_index(ddl):
                conn.execute(ddl)


def is_secondary_index(ddl: str) -> bool:
    """Plain indexes: a rebuild creates them after the bulk fold, which is faster."""
    return ddl.lstrip().upper().startswith("CREATE INDEX")


def create_indexes(conn: Connection[Any], projection: Projection, suffix: str) -> None:
    with conn.transaction():
        for ddl in projection.create_sql(suffix):
            if is_secondary_index(ddl):
                conn.execute(ddl)


def process_batch(
    conn: Connection[Any], projection: Projection, batch: int, suffix: str = ""
) -> tuple[int, int]:
    """Apply the next batch in one transaction; (events applied, new position)."""
    tracking = projection.name + suffix
    with conn.transaction(), conn.cursor() as cur:
        position = locked_position(cur, tracking)
        events, reached = read_batch(cur, position, batch, getattr(projection, "topics", None))
        if reached == position:
            return 0, position
        if events:
            projection.apply(cur, events, suffix)
        position = reached
        move(cur, tracking, position)
        # "name:position:applied": followers skip their catch-up query when none applied.
        note = f"{tracking}:{position}:{len(events)}"
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, note))
    return len(events), position


def catch_up(
    conn: Connection[Any], projection: Projection, batch: int = 1000, suffix: str = ""
) -> int:
    total = 0
    while True:
        count, _ = process_batch(conn, projection, batch, suffix)
        total += count
        if count < batch:  # a short batch reached the head of the log
            return total


class ProjectionRunner:
    """Runs one or several projections until stopped; reconnects after an outage.

    Several projections share one thread and two connections (one LISTENs): folding is
    CPU-bound Python, so more threads would not fold faster, only hold more connections.
    """

    def __init__(
        self, database_url: str, projection: Projection | Sequence[Projection], batch: int = 1000
    ) -> None:
        self.database_url = database_url
        self.projections = list(projection) if isinstance(projection, Sequence) else [projection]
        self.projection = self.projections[0]
        self.batch = batch
        self.stopping = threading.Event()

    @property
    def name(self) -> str:
        return ",".join(p.name for p in self.projections)

    def run(self) -> None:
        delay = 0.2
        while not self.stopping.is_set():
            try:
                self._follow()
            except Exception as exc:  # a database outage, or a projection that cannot fold
                log.warning("projection %s: %s; retrying", self.name, exc)
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def _follow(self) -> None:
        with (
            psycopg.connect(self.database_url, autocommit=True) as listener,
            psycopg.connect(self.database_url) as conn,
        ):
            relaxed(conn)
            for projection in self.projections:
                ensure_schema(conn, projection)
            listener.execute(f"LISTEN {EVENTS_TABLE}")
            topics = wanted_topics(self.projections)
            while not self.stopping.is_set():
                self._fold(conn, topics)
                # Wake on the event store's NOTIFY; the timeout bounds a missed one.
                for _ in listener.notifies(timeout=0.5, stop_after=1):
                    pass

    def _fold(self, conn: Connection[Any], topics: tuple[str, ...] | None) -> None:
        """Catch every projection up: all in one transaction per round; one by one when a
        round fails, so that a projection that cannot fold an event stops only itself."""
        try:
            while process_round(conn, self.projections, self.batch, topics)[1]:
                pass
        except Exception as exc:
            if conn.broken or len(self.projections) == 1:
                raise
            log.warning("projections %s: %s; folding them one by one", self.name, exc)
        else:
            return
        failed: Exception | None = None
        for projection in self.projections:
            try:
                catch_up(conn, projection, self.batch)
            except Exception as exc:
                if conn.broken:
                    raise
                log.exception("projection %s cannot fold", projection.name)
                failed = failed or exc
        if failed is not None:
            raise failed

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"projection-{self.name}")
        thread.daemon = True
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()


def relaxed(conn: Connection[Any]) -> None:
    """Commit the rounds without waiting for the WAL flush. A read model and its position
    commit together, so a database crash can only take back the last rounds whole (never one
    without the other), and the runner folds them again from the log, whose commits stay
    synchronous. Others see a round at its commit as before: read-your-writes is unchanged."""
    conn.execute("SET synchronous_commit = off")
    conn.commit()
