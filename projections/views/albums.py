"""The album read models: one row per album, its files in order, and each file's gate state.

Besides album events it folds file events (status, visibility, expiry of every file), so an
album knows which of its files are live, and an album whose files change moves its `position`
(the API's album cache follows it). Positions depend only on events, not on batch boundaries.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.album_folds import (
    ALBUM_FOLDS,
    CREATED,
    FILE_FOLDS,
    REQUESTED,
    TALLIED,
    Batch,
    fold_events,
)
from pichr.projections.views.bulk import upsert
from pichr.projections.views.file_listing import file_id_of

ALBUM_COLUMNS = (
    "id", "owner_id", "title", "description", "visibility", "tags", "password_hash", "cover_id",
    "file_count", "view_count", "status", "created_at", "updated_at", "deleted_at", "position",
)  # fmt: skip
STATE_COLUMNS = ("file_id", "status", "visibility", "expires_at")
MEMBER_COLUMNS = ("album_id", "file_id", "seq")
LIVE = ["pending", "uploaded", "ready"]  # counted in fileCount; anything else is gone
# Queries by `= ANY(ids)` are never prepared (prepare=False): each is planned with its ids. A
# plan cached while a rebuild's tables were nearly empty compared every row with every id,
# batch after batch (album_files has no file_id index until a rebuild's end).
Row = dict[str, Any]


class AlbumProjection:
    name = "albums"
    tables: tuple[str, ...] = ("album_list", "album_files", "album_file_state")

    @property
    def topics(self) -> tuple[str, ...]:
        """Only these events are read: a rebuild skips the rest of the log inside PostgreSQL."""
        return (CREATED, REQUESTED, TALLIED, *ALBUM_FOLDS, *FILE_FOLDS)

    def create_sql(self, suffix: str) -> list[str]:
        a, f, s = (t + suffix for t in self.tables)
        return [
            f"CREATE TABLE IF NOT EXISTS {a} (id text PRIMARY KEY, owner_id text NOT NULL,"
            " title text NOT NULL, description text, visibility text NOT NULL,"
            " tags text[] NOT NULL, password_hash text, cover_id text, file_count int NOT NULL,"
            " view_count bigint NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL,"
            " updated_at timestamptz NOT NULL, deleted_at timestamptz, position bigint NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {a}_owner_created ON {a} (owner_id, created_at, id)",
            f"CREATE INDEX IF NOT EXISTS {a}_position ON {a} (position)",
            f"CREATE TABLE IF NOT EXISTS {f} (album_id text NOT NULL, file_id text NOT NULL,"
            " seq bigint NOT NULL, PRIMARY KEY (album_id, file_id))",
            f"CREATE INDEX IF NOT EXISTS {f}_order ON {f} (album_id, seq)",
            f"CREATE INDEX IF NOT EXISTS {f}_file ON {f} (file_id)",
            f"CREATE TABLE IF NOT EXISTS {s} (file_id text PRIMARY KEY, status text NOT NULL,"
            " visibility text NOT NULL, expires_at timestamptz)",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        a, f, s = (t + suffix for t in self.tables)
        return [
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM {a} t",
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY album_id, file_id), ''))"
            f" FROM {f} t",
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY file_id), '')) FROM {s} t",
        ]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        a, f, s = (t + suffix for t in self.tables)
        batch = Batch(
            albums=_load(cur, a, ALBUM_COLUMNS, "id", _album_ids(events)),
            states=_load(cur, s, STATE_COLUMNS, "file_id", _file_ids(events)),
        )
        fold_events(batch, events)
        _upsert(cur, s, STATE_COLUMNS, "file_id", [batch.states[i] for i in sorted(batch.files)])
        _write_members(cur, f, batch)
        _follow_files(cur, a, f, batch)
        _recount(cur, f, s, batch)
        rows = [batch.albums[i] for i in sorted(batch.changed) if i in batch.albums]
        _upsert(cur, a, ALBUM_COLUMNS, "id", rows)


def _album_ids(events: list[LoggedEvent]) -> set[str]:
    found: set[str] = set()
    for e in events:
        if e.topic in ALBUM_FOLDS:
            found.add(ids.to_public(ids.ALBUM, e.originator_id))
        elif e.topic == TALLIED:
            found.update(k for k in e.data["views"] if k.startswith(ids.ALBUM))
    return found


def _file_ids(events: list[LoggedEvent]) -> set[str]:
    return {file_id_of(e.originator_id) for e in events if e.topic in FILE_FOLDS}


def _load(
    cur: Cursor[Any], table: str, columns: tuple[str, ...], key: str, wanted: set[str]
) -> dict[str, Row]:
    if not wanted:
        return {}
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ANY(%s)"
    cur.execute(sql, (list(wanted),), prepare=False)
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cur.fetchall()}


def _write_members(cur: Cursor[Any], table: str, batch: Batch) -> None:
    members = sorted(batch.members.items())
    present = [
        dict(zip(MEMBER_COLUMNS, (*k, seq), strict=True)) for k, seq in members if seq is not None
    ]
    absent = [k for k, seq in members if seq is None]
    upsert(cur, table, MEMBER_COLUMNS, ("album_id", "file_id"), present)
    if absent:
        cur.executemany(f"DELETE FROM {table} WHERE album_id = %s AND file_id = %s", absent)
    if batch.deleted:
        ids = sorted(batch.deleted)
        cur.execute(f"DELETE FROM {table} WHERE album_id = ANY(%s)", (ids,), prepare=False)


def _follow_files(cur: Cursor[Any], albums: str, members: str, batch: Batch) -> None:
    """Albums holding a file that changed move to that change's position."""
    if not batch.file_positions:
        return
    cur.execute(
        f"SELECT album_id, file_id FROM {members} WHERE file_id = ANY(%s)",
        (list(batch.file_positions),),
        prepare=False,
    )
    moved: dict[str, int] = {}
    for album_id, file_id in cur.fetchall():
        moved[album_id] = max(moved.get(album_id, 0), batch.file_positions[file_id])
    missing = set(moved) - set(batch.albums)
    batch.albums.update(_load(cur, albums, ALBUM_COLUMNS, "id", missing))
    for album_id, position in moved.items():
        batch.album_changed(album_id, position)
        batch.recount.add(album_id)


def _recount(cur: Cursor[Any], members: str, states: str, batch: Batch) -> None:
    wanted = sorted(i for i in batch.recount if i in batch.albums)
    if not wanted:
        return
    cur.execute(
        f"SELECT m.album_id, count(*) FROM {members} m JOIN {states} s ON s.file_id = m.file_id"
        " WHERE m.album_id = ANY(%s) AND s.status = ANY(%s) GROUP BY m.album_id",
        (wanted, LIVE),
        prepare=False,
    )
    counts = dict(cur.fetchall())
    for album_id in wanted:
        batch.albums[album_id]["file_count"] = int(counts.get(album_id, 0))


def _upsert(
    cur: Cursor[Any], table: str, columns: tuple[str, ...], key: str, rows: list[Row]
) -> None:
    upsert(cur, table, columns, key, rows)
