"""Stored events as projections read them: raw rows of the log, decoded with msgspec.

Projections depend on the event contract (topic and fields), not on the domain classes, so a
rebuild does not reconstruct aggregates' event objects and stays fast.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast
from uuid import UUID

import msgspec
from psycopg import Cursor

from pichr.domain.log import EVENTS_TABLE

_decode_json = msgspec.json.Decoder(dict[str, Any]).decode
_NUL = b"\\u0000"  # how JSON spells a NUL character inside a string
T = TypeVar("T")


def _decode(state: bytes) -> dict[str, Any]:
    """The event's fields; NUL characters dropped from its strings, because PostgreSQL text
    cannot hold them and one such event would stop every projection for good."""
    data = _decode_json(state)
    return _without_nul(data) if _NUL in state else data


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state "
    f"FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)


class LoggedEvent:
    """One stored event. Its fields (`data`) are decoded on first use: a projection that
    needs only the topic and the originator of an event never pays for its JSON."""

    __slots__ = ("_data", "_state", "originator_id", "position", "topic", "version")

    def __init__(
        self,
        position: int,
        originator_id: UUID,
        version: int,
        topic: str,
        data: dict[str, Any] | None = None,
        *,
        state: bytes = b"{}",
    ) -> None:
        self.position = position
        self.originator_id = originator_id
        self.version = version
        self.topic = topic
        self._data = data
        self._state = state

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = _decode(self._state)
        return self._data

    def fields(self, decoder: msgspec.json.Decoder[T]) -> T:
        """Only the fields `decoder` names (a TypedDict's): msgspec skips the rest of the JSON
        without building it, several times cheaper than `data` for two fields of a big event.
        An event with NUL characters goes the `data` way (whose strings are cleaned)."""
        if self._data is None and _NUL not in self._state:
            return decoder.decode(self._state)
        return cast("T", self.data)

    @property
    def timestamp(self) -> str:
        stamp = self.data["timestamp"]
        return str(stamp["_data_"] if isinstance(stamp, dict) else stamp)


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
        events = [LoggedEvent(r[0], r[1], r[2], r[3], state=r[4]) for r in rows]
        return events, events[-1].position if events else position
    cur.execute(SELECT_TOPICS_AFTER, (position, list(topics), limit), prepare=True, binary=True)
    return headed_batch(cur.fetchall(), 1, limit, position)


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
