"""Which blobs and multipart uploads the event log still refers to (for the orphan sweep).

A blob is referenced while some event of a File that has not been purged, or of a multipart
upload that is still open, mentions its key. "Mentions" is deliberately broad: any string in
the event's data equal to the key, so a derived blob recorded under a new field name is safe
without this module knowing the field. Only the candidate keys (old enough to sweep) are
tracked, so memory follows the number of candidates, not the size of the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from pichr.domain.log import EVENTS_TABLE

UPLOAD = "pichr.upload."
INITIATED = UPLOAD + "MultipartInitiated.v1"
CLOSED = (UPLOAD + "MultipartCompleted.v1", UPLOAD + "MultipartAborted.v1")
PURGED = "pichr.file.BlobsPurged.v1"
SCAN = (
    f"SELECT originator_id, topic, state FROM {EVENTS_TABLE}"
    " WHERE topic LIKE 'pichr.file.%' OR topic LIKE 'pichr.upload.%'"
    " ORDER BY notification_id"
)
_decode = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True)
class References:
    keys: set[str]  # the candidate keys still referenced
    open_uploads: set[str]  # store upload ids of multipart uploads still open


def find_references(database_url: str, candidates: set[str]) -> References:
    mentions: dict[UUID, set[str]] = {}
    ended: set[UUID] = set()  # purged files and closed uploads: their mentions no longer count
    open_uploads: dict[UUID, str] = {}
    with psycopg.connect(database_url) as conn, conn.cursor(name="pichr_cleanup_scan") as cur:
        cur.itersize = 2000
        cur.execute(SCAN)
        for originator, topic, state in cur:
            data = _decode(state)
            if topic == PURGED or topic in CLOSED:
                ended.add(originator)
                open_uploads.pop(originator, None)
            elif topic == INITIATED:
                open_uploads[originator] = data["store_upload_id"]
            found = {s for s in _strings(data) if s in candidates}
            if found:
                mentions.setdefault(originator, set()).update(found)
    keys = set().union(*(m for agg, m in mentions.items() if agg not in ended))
    return References(keys=keys, open_uploads=set(open_uploads.values()))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
