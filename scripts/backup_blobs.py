"""The blob side of a backup: which blobs the log refers to, and their bytes checked against it.

An event names a blob with a `key` (or `*_key`) field beside a `sha256` (`*_sha256`) one
(UploadStored, ImageAnalyzed's rendition and thumbnail, ...): a derived blob recorded later
under a new field pair is backed up without this module knowing it. BlobsPurged's `keys` end
a reference. Everything else in the blob store (variants, caches) is rebuilt on demand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import msgspec
from psycopg import Connection

from pichr.application.blobs.port import BlobStore
from pichr.domain.log import EVENTS_TABLE

PURGED = "pichr.file.BlobsPurged.v1"
# Only events that can name a blob's digest (or end a reference) are read and decoded.
SCAN = (
    f"SELECT originator_id, topic, state FROM {EVENTS_TABLE} WHERE topic LIKE 'pichr.file.%%'"
    " AND (topic = %s OR position('sha256\"'::bytea in state) > 0) ORDER BY notification_id"
)
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def referenced_blobs(conn: Connection[Any]) -> dict[str, str]:
    """key -> sha256 of every blob the log (as `conn` sees it) says is kept."""
    refs: dict[str, str] = {}
    blob_keys: dict[Any, str] = {}  # a File's own key: UploadStored before `key` fell back to it
    with conn.cursor(name="pichr_backup_refs") as cur:
        cur.itersize = 20000
        cur.execute(SCAN, (PURGED,))
        for originator, topic, state in cur:
            data = _decode(state)
            if topic == PURGED:
                for key in data.get("keys", []):
                    refs.pop(key, None)
                continue
            if isinstance(data.get("blob_key"), str):
                blob_keys[originator] = data["blob_key"]
            refs.update(_pairs(data, blob_keys.get(originator, "")))
    return refs


def _pairs(data: dict[str, Any], own_key: str) -> Iterator[tuple[str, str]]:
    for field, value in data.items():
        if field != "key" and not field.endswith("_key"):
            continue
        digest = data.get(field[: -len("key")] + "sha256")
        key = value or (own_key if field == "key" else "")
        if isinstance(key, str) and key and isinstance(digest, str) and digest:
            yield key, digest


class HashingReader:
    """A blob's bytes as a file for tarfile, hashed as they pass."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._chunk, self._at = chunks, b"", 0
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0:
            if self._at >= len(self._chunk):
                self._chunk, self._at = next(self._chunks, b""), 0
                if not self._chunk:
                    break
            part = self._chunk[self._at : self._at + wanted]
            self._at += len(part)
            wanted -= len(part)
            parts.append(part)
        out = b"".join(parts)
        self.sha256.update(out)
        return out


def blob_reader(blobs: BlobStore, key: str) -> HashingReader:
    return HashingReader(iter(blobs.read(key, chunk_size=1 << 20)))
