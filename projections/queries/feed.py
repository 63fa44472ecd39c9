"""The event log as analysts read it: pages in log order, ids as the API shows them, no
personal data. Used by the admin feed route and by `pichr events export`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import psycopg
from psycopg_pool import AsyncConnectionPool

from pichr.domain.catalogue import REDACTED, public_id_for
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.privacy import PERSONAL
from pichr.projections.queries.rows import FeedEntry

# Values stay undecoded JSON (Raw): an entry re-encodes them by copying bytes.
_decode = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_value = msgspec.json.Decoder(Any).decode
_encode = msgspec.json.Encoder().encode
_REDACTED_RAW = msgspec.Raw(b'"[redacted]"')
_HIDDEN = {"timestamp", "originator_topic"}
PAGE_SQL = (
    f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE}"
    " WHERE notification_id > %s AND (%s::text[] IS NULL OR topic = ANY(%s))"
    " ORDER BY notification_id LIMIT %s"
)


def feed_entry(row: tuple[Any, ...]) -> FeedEntry:
    position, originator_id, version, topic, state = row
    data = _decode(state)
    stamp: Any = _decode_value(data["timestamp"]) if "timestamp" in data else None
    time: Any = stamp.get("_data_") if isinstance(stamp, dict) else stamp
    payload = {
        k: (_REDACTED_RAW if k in REDACTED else v) for k, v in data.items() if k not in _HIDDEN
    }
    for path in PERSONAL.get(topic, ()):  # personal data: sealed in the log, never shown here
        head, _, sub = path.partition(".")
        if head in payload and not sub:
            payload[head] = _REDACTED_RAW
        elif head in payload:
            inner = _decode_value(payload[head])
            if isinstance(inner, dict) and sub in inner:
                inner[sub] = "[redacted]"
                payload[head] = msgspec.Raw(_encode(inner))
    return FeedEntry(position, topic, public_id_for(topic, originator_id), version, time, payload)


async def page(
    pool: AsyncConnectionPool[Any], after: int, limit: int, types: list[str] | None
) -> list[FeedEntry]:
    async with pool.connection() as conn:
        cur = await conn.execute(PAGE_SQL, (after, types, types, limit))
        return [feed_entry(row) for row in await cur.fetchall()]


def stream(
    database_url: str, after: int, limit: int | None, types: list[str] | None = None
) -> Iterator[FeedEntry]:
    """Every event after `after` (at most `limit`), read with a server-side cursor."""
    with psycopg.connect(database_url) as conn, conn.cursor(name="pichr_export") as cur:
        cur.itersize = 5000
        cur.execute(PAGE_SQL, (after, types, types, limit if limit is not None else 2**62))
        yield from (feed_entry(row) for row in cur)
