"""The subject keys: one AES key per aggregate holding personal data, filed under its data
subject, in their own table (never in the log). Erasing a subject deletes its keys."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from pichr.domain.privacy import SUBJECT_KEYS_TABLE, Key, forget_ciphers, new_key

DDL = (
    f"CREATE TABLE IF NOT EXISTS {SUBJECT_KEYS_TABLE} ("
    " aggregate_id uuid PRIMARY KEY, subject text NOT NULL, key bytea NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    f"CREATE INDEX IF NOT EXISTS {SUBJECT_KEYS_TABLE}_subject ON {SUBJECT_KEYS_TABLE} (subject)",
)
# The key commits before the events sealed with it. Its commit need not wait for the disk: the
# events' own (durable) commit flushes the write-ahead log up to and past the key's record.
INSERT = (
    f"INSERT INTO {SUBJECT_KEYS_TABLE} (aggregate_id, subject, key) VALUES (%s, %s, %s)"
    " ON CONFLICT (aggregate_id) DO NOTHING"
)
INSERT_MANY = (
    f"INSERT INTO {SUBJECT_KEYS_TABLE} (aggregate_id, subject, key)"
    " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bytea[])"
    " ON CONFLICT (aggregate_id) DO NOTHING RETURNING aggregate_id"
)
SELECT = f"SELECT key FROM {SUBJECT_KEYS_TABLE} WHERE aggregate_id = %s"
SELECT_MANY = f"SELECT aggregate_id, key FROM {SUBJECT_KEYS_TABLE} WHERE aggregate_id = ANY(%s)"
ERASE = (
    f"DELETE FROM {SUBJECT_KEYS_TABLE} WHERE subject = %s OR aggregate_id = ANY(%s)"
    " RETURNING aggregate_id"
)
CACHE_MAX = 100_000

Cursors = Callable[[], AbstractContextManager[Any]]  # a cursor in a transaction; None: no db


class KeyRing:
    """Keys by aggregate. Keys this process made or sealed with are cached for sealing; opening
    always asks the table, so a key erased by another process opens nothing here either."""

    def __init__(self, cursors: Cursors) -> None:
        self._cursors = cursors
        self._sealing: dict[UUID, Key] = {}
        self._memory: dict[UUID, tuple[str, Key]] | None = None  # the in-memory event store
        self._lock = threading.Lock()
        self._ready = False

    def for_sealing(self, aggregate_id: UUID, subject: Callable[[], str]) -> Key:
        """The aggregate's key, made (filed under `subject()`) when it has none yet."""
        key = self._sealing.get(aggregate_id)
        if key is not None:
            return key
        key = self.get(aggregate_id)
        if key is None:
            key = self._make(aggregate_id, subject())
        with self._lock:
            if len(self._sealing) >= CACHE_MAX:
                self._sealing.clear()
            self._sealing[aggregate_id] = key
        return key

    def prepare(self, subjects: dict[UUID, str], new: set[UUID]) -> None:
        """Make sure each aggregate has a key before its events are sealed, in one round trip
        for the whole save: `new` aggregates (their first event is in this save) get a key
        made at once; the others' keys are read, and made only when missing."""
        wanted = [a for a in subjects if a not in self._sealing]
        if not wanted:
            return
        found = self.get_many([a for a in wanted if a not in new])
        made = {a: new_key() for a in wanted if a not in found}
        if made:
            with self._cursor() as cur:
                if cur is None:
                    memory = self._memory if self._memory is not None else {}
                    self._memory = memory
                    for a, key in made.items():
                        memory.setdefault(a, (subjects[a], key))
                    inserted = set(made)
                else:
                    cur.execute("SET LOCAL synchronous_commit = off")
                    rows = (list(made), [subjects[a] for a in made], list(made.values()))
                    cur.execute(INSERT_MANY, rows)
                    inserted = {_at(row, 0, "aggregate_id") for row in cur.fetchall()}
            found.update({a: k for a, k in made.items() if a in inserted})
            found.update(self.get_many([a for a in made if a not in inserted]))  # a race lost
        with self._lock:
            if len(self._sealing) + len(found) >= CACHE_MAX:
                self._sealing.clear()
            self._sealing.update(found)

    def get(self, aggregate_id: UUID) -> Key | None:
        return self.get_many([aggregate_id]).get(aggregate_id)

    def get_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, Key]:
        wanted = list(set(aggregate_ids))
        if not wanted:
            return {}
        with self._cursor() as cur:
            if cur is None:
                memory = self._memory or {}
                return {a: memory[a][1] for a in wanted if a in memory}
            cur.execute(SELECT_MANY, (wanted,))
            return {
                _at(row, 0, "aggregate_id"): bytes(_at(row, 1, "key")) for row in cur.fetchall()
            }

    def erase(self, subject: str, aggregate_ids: Iterable[UUID]) -> list[UUID]:
        """Delete the subject's keys (and those of `aggregate_ids`): the aggregates erased."""
        ids = list(aggregate_ids)
        with self._lock:
            for aggregate_id in ids:
                self._sealing.pop(aggregate_id, None)
        with self._cursor() as cur:
            if cur is None:
                memory = self._memory or {}
                gone = [a for a, (s, _) in memory.items() if s == subject or a in ids]
                for aggregate_id in gone:
                    del memory[aggregate_id]
            else:
                cur.execute(ERASE, (subject, ids))
                gone = [_at(row, 0, "aggregate_id") for row in cur.fetchall()]
        with self._lock:
            for aggregate_id in gone:
                self._sealing.pop(aggregate_id, None)
        forget_ciphers()
        return gone

    def _make(self, aggregate_id: UUID, subject: str) -> Key:
        key = new_key()
        with self._cursor() as cur:
            if cur is None:
                memory = self._memory if self._memory is not None else {}
                self._memory = memory
                memory.setdefault(aggregate_id, (subject, key))
                return memory[aggregate_id][1]
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(INSERT, (aggregate_id, subject, key))
            if cur.rowcount == 0:  # another process made it first: use theirs
                cur.execute(SELECT, (aggregate_id,))
                return bytes(_at(cur.fetchone(), 0, "key"))
        return key

    def _cursor(self) -> AbstractContextManager[Any]:
        if not self._ready:
            self._ensure_table()
        return self._cursors()

    def _ensure_table(self) -> None:
        with self._lock:
            if self._ready:
                return
            with self._cursors() as cur:
                if cur is not None:
                    ensure_table(cur)
            self._ready = True


def ensure_table(cur: Any) -> None:
    """The table (in the cursor's transaction; processes starting together take turns)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SUBJECT_KEYS_TABLE,))
    for ddl in DDL:
        cur.execute(ddl)


def _at(row: Any, index: int, name: str) -> Any:
    """A column of a row from the event store's pool (dict rows) or a plain cursor (tuples)."""
    return row[name] if isinstance(row, dict) else row[index]
