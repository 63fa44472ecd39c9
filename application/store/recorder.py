"""The event store's recorder: the library's guarantees, with concurrent commands' events
written in one transaction (group commit, application/store/group_commit.py).

What stays the library's: the EXCLUSIVE table lock with its timeout (a reader following the
log never passes over an event committed later with a lower id), one NOTIFY per commit,
optimistic concurrency per aggregate (a version already recorded is an IntegrityError for the
caller that sent it, and only for it), retries on connection errors (fewer when the database
is unreachable: application/store/retries.py). What differs: one
transaction, one lock and one flush for every caller that queued while the previous batch was
written; the events go in as plain arrays (which psycopg dumps in C) without pipeline mode (its
loop runs in Python); versions already taken are found under the lock, so one caller's conflict
does not undo the others'. Chosen through eventsourcing's APPLICATION_RECORDER_TOPIC; the
library's own statements (`insert_events_statement`, `_insert_stored_events`) are untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from pichr.application.store import pool_check
from pichr.application.store.group_commit import GroupCommit, Pending
from pichr.application.store.retries import retrying

TOPIC = "pichr.application.store.recorder:ArrayInsertRecorder"
NOTICE_MAX_BYTES = 7999  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
Batch = Sequence[Pending[Sequence[StoredEvent], list[int]]]


def notice(stored_events: Sequence[StoredEvent]) -> str:
    """The NOTIFY payload of a commit: its distinct topics, comma-separated; "" (which
    followers read as "may concern anyone") when they would not fit."""
    topics = ",".join(sorted({e.topic for e in stored_events}))
    return topics if len(topics.encode()) <= NOTICE_MAX_BYTES else ""


def may_concern(payload: str, topics: frozenset[str]) -> bool:
    """Whether a commit announced with `payload` may hold events of `topics`: when the
    payload names none (another writer's, or too many topics), it may."""
    return not payload or not topics.isdisjoint(payload.split(","))


class ArrayInsertRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        # Versions already recorded are found under the lock (so the check cannot race with
        # another writer) and their callers' events are left out; the rest go in, in order.
        self.batch_insert_statement = SQL(
            "WITH input AS (SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[],"
            " %s::bytea[], %s::int[]) WITH ORDINALITY AS u(oid, ver, topic, state, caller, ord)),"
            " taken AS (SELECT DISTINCT i.caller FROM input i JOIN {table} e"
            " ON e.originator_id = i.oid AND e.originator_version = i.ver),"
            " ins AS (INSERT INTO {table} (originator_id, originator_version, topic, state)"
            " SELECT oid, ver, topic, state FROM input"
            " WHERE caller NOT IN (SELECT caller FROM taken) ORDER BY ord"
            " RETURNING notification_id, originator_id, originator_version)"
            " SELECT notification_id, originator_id, originator_version, NULL::int AS taken"
            " FROM ins UNION ALL SELECT NULL, NULL, NULL, caller FROM taken"
        ).format(id_type=Identifier(self.datastore.originator_id_type), table=table)
        self._prelude = SQL("BEGIN; {}; NOTIFY {}, ").format(
            SQL("; ").join(self.lock_table_statements), Identifier(self.channel_name)
        )
        self._group: GroupCommit[Sequence[StoredEvent], list[int]] = GroupCommit(self._write)
        pool_check.install(self.datastore.pool)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        return retrying(lambda: self.insert_events_once(stored_events))

    def insert_events_once(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """One attempt, no retry (what the lock-timeout case exercises)."""
        return self._group.submit(stored_events)

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        select = PostgresApplicationRecorder.select_events.__wrapped__  # the library's, unretried
        return retrying(lambda: select(self, *args, **kwargs))

    def _write(self, batch: Batch) -> None:
        """Write a batch in one transaction; on an error that is not about the connection,
        write its callers one by one, so that only the one at fault fails."""
        try:
            self._write_together(batch)
        except (InterfaceError, OperationalError):
            raise  # every caller retries
        except Exception:
            if len(batch) == 1:
                raise
            for pending in batch:
                try:
                    self._write_together([pending])
                except Exception as exc:  # its caller gets it
                    pending.error = exc

    def _write_together(self, batch: Batch) -> None:
        callers, events = _claims(batch)
        if not events:
            return
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self._prelude + Literal(notice(events)))
                curs.execute(self.batch_insert_statement, _arrays(events, callers))
                rows = curs.fetchall()
                curs.execute("COMMIT")
            except BaseException:
                _roll_back(conn)
                raise
        _hand_out(batch, rows)


def _claims(batch: Batch) -> tuple[list[int], list[StoredEvent]]:
    """Each event with the index of its caller. A caller claiming an aggregate version that an
    earlier caller of the same batch claims conflicts at once (as it would in the database)."""
    callers: list[int] = []
    events: list[StoredEvent] = []
    claimed: set[tuple[object, int]] = set()
    for index, pending in enumerate(batch):
        versions = {(e.originator_id, e.originator_version) for e in pending.item}
        if claimed & versions or len(versions) < len(pending.item):
            pending.error = IntegrityError("The aggregate version is already recorded.")
            continue
        claimed |= versions
        for event in pending.item:
            callers.append(index)
            events.append(event)
    return callers, events


def _arrays(events: Sequence[StoredEvent], callers: list[int]) -> tuple[list[Any], ...]:
    return (
        [e.originator_id for e in events],
        [e.originator_version for e in events],
        [e.topic for e in events],
        [e.state for e in events],
        callers,
    )


def _hand_out(batch: Batch, rows: list[DictRow]) -> None:
    """Each caller's notification ids, in the order of its events; IntegrityError for the
    callers whose versions were already recorded."""
    ids: dict[tuple[str, int], int] = {}
    for row in rows:
        if row["taken"] is not None:
            batch[row["taken"]].error = IntegrityError("The aggregate version is recorded.")
        else:
            ids[(str(row["originator_id"]), row["originator_version"])] = row["notification_id"]
    for pending in batch:
        if pending.error is None:
            events = pending.item
            pending.result = [ids[(str(e.originator_id), e.originator_version)] for e in events]


def _roll_back(conn: Connection[DictRow]) -> None:
    # (a broken connection cannot roll back: the pool drops it)
    if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")
