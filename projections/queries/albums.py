"""Album read queries on the async pool, through the album cache when there is one.

A file shows in an album exactly when the access decision lets the caller see its record
(projections/queries/access_sql.py, the SQL twin of domain/access.py `listed`), by both its own
listing and the album's copy of its gate state: whichever read model learns first of a deletion,
expiry, ban or privacy change hides the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from pichr.projections.queries.access_sql import gate_state_sql, listed_sql
from pichr.projections.queries.album_cache import AlbumCache, Contents
from pichr.projections.queries.rows import AlbumRow, FileItemRow
from pichr.projections.views.albums import ALBUM_COLUMNS

FILE_COLUMNS = (
    "id", "title", "description", "mime", "bytes", "width", "height", "visibility", "view_count",
    "created_at", "expires_at", "status", "nsfw_score",
)  # fmt: skip
ALBUM_BY_ID = f"SELECT {', '.join(ALBUM_COLUMNS)} FROM album_list WHERE id = %s"
FILES_OF_ALBUM = (
    f"SELECT {', '.join('f.' + c for c in FILE_COLUMNS)} FROM album_files m"
    " JOIN album_file_state s ON s.file_id = m.file_id"
    " JOIN file_listing f ON f.id = m.file_id"
    f" WHERE m.album_id = %(album)s AND {listed_sql('f')} AND {gate_state_sql('s', 'f')}"
    " ORDER BY m.seq"
)
OWNED = (
    f"SELECT {', '.join(ALBUM_COLUMNS)} FROM album_list WHERE owner_id = %s AND status = 'live'"
    " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
)
OWNED_COUNT = "SELECT count(*) FROM album_list WHERE owner_id = %s AND status = 'live'"


@dataclass(frozen=True, slots=True)
class Viewer:
    """What decides which files of an album a caller sees."""

    account_id: str | None  # the caller's account; files are shown to their owner as such
    owner: bool  # the caller owns the album (and so every file in it)
    adult: bool  # safe mode off: age-restricted files are shown


class AlbumReads:
    def __init__(
        self, pool: AsyncConnectionPool[Any], cache: AlbumCache | None, threshold: float
    ) -> None:
        self.pool = pool
        self.cache = cache
        self.threshold = threshold

    async def album(self, album_id: str) -> AlbumRow | None:
        if self.cache is None:
            return await self._album(album_id)
        return await self.cache.album(album_id, lambda: self._album(album_id))

    async def files(self, album_id: str, viewer: Viewer) -> Contents:
        if self.cache is None:
            return Contents(await self._files(album_id, viewer), None)
        key = (album_id, viewer.owner, viewer.adult)
        return await self.cache.files(key, lambda: self._files(album_id, viewer))

    async def owned(self, owner_id: str, limit: int, offset: int) -> tuple[list[AlbumRow], int]:
        """A page of the owner's live albums (newest first) and how many there are."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(AlbumRow))
            await cur.execute(OWNED, (owner_id, limit, offset), prepare=True)
            rows = await cur.fetchall()
            if len(rows) < limit and (rows or offset == 0):
                return rows, offset + len(rows)
            counted = await conn.execute(OWNED_COUNT, (owner_id,), prepare=True)
            found = await counted.fetchone()
            return rows, int(found[0]) if found else 0

    async def _album(self, album_id: str) -> AlbumRow | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(AlbumRow))
            await cur.execute(ALBUM_BY_ID, (album_id,), prepare=True)
            found: AlbumRow | None = await cur.fetchone()
            return found

    async def _files(self, album_id: str, viewer: Viewer) -> list[FileItemRow]:
        args = {
            "album": album_id,
            "me": viewer.account_id if viewer.owner else None,
            "adult": viewer.adult,
            "threshold": self.threshold,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(FileItemRow))
            await cur.execute(FILES_OF_ALBUM, args, prepare=True)
            found: list[FileItemRow] = await cur.fetchall()
            return found
