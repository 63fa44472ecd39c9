"""An in-process copy of album rows and of what each kind of viewer sees in an album.

Kept exact like projections/queries/cache.py: when the album projection reports a new position, the
albums whose rows moved are evicted; when the file listing does, the albums holding a changed
file are. Both happen before read-your-writes waiters are released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pichr.projections.queries.rows import AlbumRow, FileItemRow

ALBUMS = "albums"
FILES = "file_listing"
MAX_ENTRIES = 10_000
ALBUMS_MOVED = "SELECT id FROM album_list WHERE position > %s"
FILES_MOVED = (
    "SELECT DISTINCT m.album_id FROM file_listing f JOIN album_files m ON m.file_id = f.id"
    " WHERE f.position > %s"
)


@dataclass(slots=True)
class Contents:
    """The files of one album as one kind of viewer sees them, in album order."""

    rows: list[FileItemRow]
    until: datetime | None  # the first expiry among the rows: stale after it
    memo: dict[str, Any] = field(default_factory=dict)  # encoded JSON, rendered HTML

    def fresh(self) -> bool:
        return self.until is None or self.until > datetime.now(UTC)


class AlbumCache:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self.albums: dict[str, AlbumRow] = {}
        self.contents: dict[tuple[Any, ...], Contents] = {}
        self.synced: dict[str, int] = {ALBUMS: 0, FILES: 0}
        self.passes = 0  # bumped by every eviction; a read that saw it change is not cached
        self.live = False
        self._lock = asyncio.Lock()
        # One query per album and viewer at a time: when an entry is evicted under load, the
        # requests that miss it wait for the same fetch (one started since the last eviction).
        self._flights: dict[tuple[Any, ...], tuple[int, asyncio.Task[Contents]]] = {}

    async def reset(self, positions: dict[str, int]) -> None:
        async with self._lock:
            self._clear()
            self.synced = {name: positions.get(name, 0) for name in (ALBUMS, FILES)}
            self.live = True

    def stop(self) -> None:
        self.live = False
        self._clear()

    def _clear(self) -> None:
        self.albums.clear()
        self.contents.clear()
        self.passes += 1

    async def advance(self, name: str, position: int) -> None:
        if name not in self.synced or position <= self.synced[name]:
            return
        if not self.albums and not self.contents:  # nothing cached: nothing to evict
            async with self._lock:
                self.passes += 1  # reads in flight must not cache what they fetched
                self.synced[name] = max(self.synced[name], position)
            return
        sql = ALBUMS_MOVED if name == ALBUMS else FILES_MOVED
        async with self._lock, self.pool.connection() as conn:
            cur = await conn.execute(sql, (self.synced[name],), prepare=True)
            moved = {row[0] for row in await cur.fetchall()}
            self.passes += 1
            if moved:
                if name == ALBUMS:
                    for album_id in moved:
                        self.albums.pop(album_id, None)
                self.contents = {k: v for k, v in self.contents.items() if k[0] not in moved}
            self.synced[name] = max(self.synced[name], position)

    async def album(
        self, album_id: str, fetch: Callable[[], Awaitable[AlbumRow | None]]
    ) -> AlbumRow | None:
        cached = self.albums.get(album_id)
        if cached is not None:
            return cached
        before = self.passes
        row = await fetch()
        if row is not None and self.live and self.passes == before:
            _bounded(self.albums)
            self.albums[album_id] = row
        return row

    async def files(
        self, key: tuple[Any, ...], fetch: Callable[[], Awaitable[list[FileItemRow]]]
    ) -> Contents:
        cached = self.contents.get(key)
        if cached is not None and cached.fresh():
            return cached
        flight = self._flights.get(key)
        if flight is None or flight[0] != self.passes:
            flight = (self.passes, asyncio.ensure_future(self._fetch(key, fetch)))
            self._flights[key] = flight
            flight[1].add_done_callback(lambda _: self._land(key, flight))
        return await asyncio.shield(flight[1])

    def _land(self, key: tuple[Any, ...], flight: tuple[int, asyncio.Task[Contents]]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    async def _fetch(
        self, key: tuple[Any, ...], fetch: Callable[[], Awaitable[list[FileItemRow]]]
    ) -> Contents:
        before = self.passes
        rows = await fetch()
        expiring = [r.expires_at for r in rows if r.expires_at is not None]
        found = Contents(rows, min(expiring, default=None))
        if self.live and self.passes == before:
            _bounded(self.contents)
            self.contents[key] = found
        return found


def _bounded(entries: dict[Any, Any]) -> None:
    if len(entries) >= MAX_ENTRIES:
        entries.pop(next(iter(entries)))
