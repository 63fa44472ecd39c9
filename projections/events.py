"""Stored events as projections read them: raw rows of the log, decoded with msgspec.

Projections depend on the event contract (topic and fields), not on the domain classes, so a
rebuild does not reconstruct aggregates' event objects and stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Cursor

from application.app import EVENTS_TABLE

_decode = msgspec.json.Decoder(dict[str, Any]).decode

SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state "
    f"FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    position: int
    originator_id: UUID
    version: int
    topic: str
    data: dict[str, Any]

    @property
    def timestamp(self) -> str:
        stamp = self.data["timestamp"]
        return str(stamp["_data_"] if isinstance(stamp, dict) else stamp)


def read_after(cur: Cursor[Any], position: int, limit: int) -> list[LoggedEvent]:
    cur.execute(SELECT_AFTER, (position, limit), prepare=True)
    return [LoggedEvent(row[0], row[1], row[2], row[3], _decode(row[4])) for row in cur.fetchall()]
