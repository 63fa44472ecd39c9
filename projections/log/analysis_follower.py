"""Follows file_listing for the analysis results: feeds the duplicate index and wakes requests
that wait for a file's analysis (finalize's bounded wait).

Told of each new file_listing position before read-your-writes waiters are released, with the
rows changed since its last pass (read once for every follower of the file listing:
projections/log/file_feed.py). The index it feeds is the command side's (the duplicate index,
application/uploads/duplicates.py), handed to it where the process is put together; this module
names only what it calls on it (HashIndex), so the read side does not import the command side.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

from psycopg_pool import AsyncConnectionPool

PROJECTION = "file_listing"
_FIELDS = "id, owner_id, sha256, phash, status, analyzed_at, position"
CHANGED_SINCE = f"SELECT {_FIELDS} FROM file_listing WHERE position > %s"
LOAD_ALL = f"SELECT {_FIELDS} FROM file_listing WHERE owner_id IS NOT NULL"
LIVE = ("ready",)


class HashIndex(Protocol):
    """Each owner's live files by content and perceptual hash (None: not analyzed yet)."""

    def clear(self) -> None: ...

    def put(self, owner_id: str, file_id: str, sha256: str | None, phash: str | None) -> None: ...

    def remove(self, owner_id: str, file_id: str) -> None: ...


IndexT = TypeVar("IndexT", bound=HashIndex)


class AnalysisFollower(Generic[IndexT]):
    """Generic in its index, so its readers (finalize's duplicates) see the index's own type."""

    def __init__(self, pool: AsyncConnectionPool[Any], index: IndexT) -> None:
        self.pool = pool
        self.index = index
        self.synced = 0
        self.live = False
        self._waiting: dict[str, list[asyncio.Event]] = defaultdict(list)
        self._lock = asyncio.Lock()

    async def reset(self, positions: dict[str, int]) -> None:
        async with self._lock, self.pool.connection() as conn:
            self.index.clear()
            cur = conn.cursor(name="duplicate_index_load")  # server-side: streams a million rows
            async with conn.transaction():
                await cur.execute(LOAD_ALL)
                async for row in cur:
                    self._apply(row)
            self.synced = positions.get(PROJECTION, 0)
            self.live = True
        self._wake_all()

    def stop(self) -> None:
        self.live = False

    async def take(self, changed: list[tuple[Any, ...]], position: int) -> None:
        """The rows (CHANGED_SINCE's columns) changed up to `position`."""
        async with self._lock:
            for row in changed:
                self._apply(row)
                if row[5] is not None:
                    self._wake(row[0])
            self.synced = max(self.synced, position)

    def _apply(self, row: tuple[Any, ...]) -> None:
        file_id, owner_id, sha256, phash, status = row[:5]
        if owner_id is None:
            return
        if status in LIVE:
            self.index.put(owner_id, file_id, sha256, phash)
        else:
            self.index.remove(owner_id, file_id)

    @contextlib.contextmanager
    def watch(self, file_id: str) -> Iterator[asyncio.Event]:
        """An event set when the file's analysis may have been recorded: check, then wait."""
        event = asyncio.Event()
        self._waiting[file_id].append(event)
        try:
            yield event
        finally:
            events = self._waiting.get(file_id, [])
            if event in events:
                events.remove(event)
            if not events:
                self._waiting.pop(file_id, None)

    def _wake(self, file_id: str) -> None:
        for event in self._waiting.get(file_id, []):
            event.set()

    def _wake_all(self) -> None:
        for events in self._waiting.values():
            for event in events:
                event.set()
