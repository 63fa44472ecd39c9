"""The event store's recorder, with the library's insert done in less Python: the events go in
as four plain arrays, which psycopg dumps in C (the library dumps an array of its composite type
field by field in Python), and without psycopg's pipeline mode (whose loop runs in Python):
the API process is bound by its GIL under upload load, more than by round trips.

The statements are the library's: the lock timeout, the EXCLUSIVE table lock (readers following
the log never pass over an event committed later with a lower id), the NOTIFY, the insert
returning the ids in insertion order, in one transaction, retried on connection errors.
Chosen through eventsourcing's APPLICATION_RECORDER_TOPIC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from pichr.application.store import pool_check

TOPIC = "pichr.application.store.recorder:ArrayInsertRecorder"
NOTICE_MAX = 4000  # NOTIFY payloads stop at 8000 bytes; longer lists are left out


def notice(stored_events: Sequence[StoredEvent]) -> str:
    """The NOTIFY payload of a commit: its distinct topics, comma-separated; "" (which
    followers read as "may concern anyone") when they would not fit."""
    topics = ",".join(sorted({e.topic for e in stored_events}))
    return topics if len(topics) <= NOTICE_MAX else ""


def may_concern(payload: str, topics: frozenset[str]) -> bool:
    """Whether a commit announced with `payload` may hold events of `topics`: when the
    payload names none (another writer's, or too many topics), it may."""
    return not payload or not topics.isdisjoint(payload.split(","))


class ArrayInsertRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = SQL(
            "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[])"
            " RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        self._prelude = SQL("BEGIN; {}; NOTIFY {}, ").format(
            SQL("; ").join(self.lock_table_statements), Identifier(self.channel_name)
        )
        pool_check.install(self.datastore.pool)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        # BEGIN, the lock and the NOTIFY in one simple query (no parameters); then the insert;
        # then COMMIT. The pooled connections are in autocommit mode. The notice names the
        # commit's topics, so that followers can tell whether it concerns them.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self._prelude + Literal(notice(stored_events)))
                self._insert_arrays(curs, stored_events)
                ids = [row["notification_id"] for row in curs.fetchall()]
                curs.execute("COMMIT")
            except BaseException:
                # (a broken connection cannot roll back: the pool drops it)
                if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise
        return ids

    def _insert_arrays(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """Not the library's `_insert_stored_events` hook (which takes the lock itself): any
        other path of the library that inserts keeps its own statements."""
        curs.execute(
            self.insert_events_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )
