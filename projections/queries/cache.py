"""An in-process copy of hot file-listing rows and list pages, kept exact by the log position.

Every row carries the log position that last changed it. When the projection reports a new
position, the rows changed since the last pass (read once for every follower of the file listing:
projections/log/file_feed.py) replace the ones held, and the cached pages of their owners are
evicted, before waiters are released, so read-your-writes still holds. A read that raced with a
pass is answered but not cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pichr.projections.queries.rows import FileRow

PROJECTION = "file_listing"
MAX_ROWS = 100_000
MAX_PAGES = 10_000


@dataclass(slots=True)
class Page:
    rows: list[FileRow]
    total: int
    until: datetime | None  # the first expiry among the rows: the page is stale after it
    memo: dict[str, Any] = field(default_factory=dict)  # e.g. the encoded response


class ReadCache:
    def __init__(self) -> None:
        self.rows: dict[str, FileRow] = {}
        self.pages: dict[tuple[Any, ...], Page] = {}
        self.synced = 0
        self.passes = 0  # bumped by every eviction pass; a read that saw it change is not cached
        self.live = False
        self._lock = asyncio.Lock()

    async def reset(self, positions: dict[str, int]) -> None:
        async with self._lock:
            self.rows.clear()
            self.pages.clear()
            self.synced = positions.get(PROJECTION, 0)
            self.passes += 1
            self.live = True

    def stop(self) -> None:
        self.live = False
        self.rows.clear()
        self.pages.clear()
        self.passes += 1

    async def take(self, changed: list[FileRow], position: int) -> None:
        """The rows as they are at `position` or later, in place of the ones held (their
        owners' pages evicted), before waiters see the position."""
        async with self._lock:
            self.passes += 1
            owners = set()
            for row in changed:
                if self.live:
                    self._put(row)
                owners.add(row.owner_id)
            if owners:
                self.pages = {k: v for k, v in self.pages.items() if k[0] not in owners}
            self.synced = max(self.synced, position)

    async def row(
        self, file_id: str, fetch: Callable[[], Awaitable[FileRow | None]]
    ) -> FileRow | None:
        cached = self.rows.get(file_id)
        if cached is not None:
            return cached
        before = self.passes
        row = await fetch()
        if row is not None and self.live and self.passes == before:
            self._put(row)
        return row

    def _put(self, row: FileRow) -> None:
        if row.id not in self.rows and len(self.rows) >= MAX_ROWS:
            self.rows.pop(next(iter(self.rows)))
        self.rows[row.id] = row

    async def page(
        self, key: tuple[Any, ...], fetch: Callable[[], Awaitable[tuple[list[FileRow], int]]]
    ) -> Page:
        cached = self.pages.get(key)
        if cached is not None and (cached.until is None or cached.until > datetime.now(UTC)):
            return cached
        before = self.passes
        rows, total = await fetch()
        expiring = [r.expires_at for r in rows if r.expires_at is not None]
        page = Page(rows, total, min(expiring, default=None))
        if self.live and self.passes == before:
            if len(self.pages) >= MAX_PAGES:
                self.pages.pop(next(iter(self.pages)))
            self.pages[key] = page
        return page
