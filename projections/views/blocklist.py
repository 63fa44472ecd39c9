"""The blocklist: the hashes of quarantined and removed (banned) files, which later uploads may
not match (application/moderation/blocklist.py reads it). A restore takes the entry out.

The hashes come with the moderation events themselves; a file quarantined before its analysis
gets its perceptual hash when ImageAnalyzed lands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import Cursor

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent

F = "pichr.file."
Fold = Callable[[Cursor[Any], LoggedEvent, str], None]


def _entry(kind: str, category: str) -> Fold:
    def fold(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
        d = e.data
        cur.execute(
            f"INSERT INTO {t} (file_id, sha256, phash, kind, category, report_id, added_at,"
            " position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (file_id) DO UPDATE"
            " SET kind = EXCLUDED.kind, category = EXCLUDED.category,"
            f" report_id = EXCLUDED.report_id, sha256 = coalesce(EXCLUDED.sha256, {t}.sha256),"
            f" phash = coalesce(EXCLUDED.phash, {t}.phash), position = EXCLUDED.position",
            (_file(e), d["sha256"], d["phash"], kind, d[category], d["report_id"], e.timestamp,
             e.position),
        )  # fmt: skip

    return fold


def _restored(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
    cur.execute(f"DELETE FROM {t} WHERE file_id = %s", (_file(e),))


def _file(e: LoggedEvent) -> str:
    return ids.to_public(ids.FILE, e.originator_id)


FOLDS: dict[str, Fold] = {
    F + "FileQuarantined.v1": _entry("quarantined", "reason"),
    F + "FileBanned.v1": _entry("banned", "category"),
    F + "FileRestored.v1": _restored,
}
ANALYZED = F + "ImageAnalyzed.v1"


class BlocklistProjection:
    name = "blocklist"
    tables: tuple[str, ...] = ("blocklist",)
    topics: tuple[str, ...] = (*FOLDS, ANALYZED)  # only these are read from the log

    def create_sql(self, suffix: str) -> list[str]:
        t = f"blocklist{suffix}"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (file_id text PRIMARY KEY, sha256 text,"
            " phash text, kind text NOT NULL, category text NOT NULL, report_id text,"
            " added_at timestamptz NOT NULL, position bigint NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {t}_sha256 ON {t} (sha256)",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        t = f"blocklist{suffix}"
        return [f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY file_id), '')) FROM {t} t"]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        table = f"blocklist{suffix}"
        unhashed: set[str] | None = None  # entries still without a phash (loaded when needed)
        for e in events:
            fold = FOLDS.get(e.topic)
            if fold is not None:
                fold(cur, e, table)
                if unhashed is not None and "phash" in e.data and e.data["phash"] is None:
                    unhashed.add(_file(e))
            elif e.topic == ANALYZED:  # every upload has one: only entries are touched
                if unhashed is None:
                    cur.execute(f"SELECT file_id FROM {table} WHERE phash IS NULL")
                    unhashed = {row[0] for row in cur.fetchall()}
                if _file(e) in unhashed:
                    cur.execute(
                        f"UPDATE {table} SET phash = %s, position = %s WHERE file_id = %s",
                        (e.data["phash"], e.position, _file(e)),
                    )
                    unhashed.discard(_file(e))
