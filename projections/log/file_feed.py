"""The file listing's changes, read once per new position for the followers that copy it: the
read cache (evicts the changed rows) and the analysis follower (duplicate index, finalize's
wait). Each of them used to run its own query over the same rows, one after the other, before
read-your-writes waiters were released.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from pichr.projections.log.analysis_follower import CHANGED_SINCE, PROJECTION, AnalysisFollower
from pichr.projections.queries.cache import ReadCache


class FileListingFeed:
    """A PositionWaiter follower standing for a ReadCache and an AnalysisFollower."""

    def __init__(
        self, pool: AsyncConnectionPool[Any], cache: ReadCache, analyses: AnalysisFollower[Any]
    ) -> None:
        self.pool = pool
        self.cache = cache
        self.analyses = analyses

    async def reset(self, positions: dict[str, int]) -> None:
        await self.cache.reset(positions)
        await self.analyses.reset(positions)

    def stop(self) -> None:
        self.cache.stop()
        self.analyses.stop()

    async def advance(self, name: str, position: int) -> None:
        since = min(self.cache.synced, self.analyses.synced)
        if name != PROJECTION or position <= since:
            return
        async with self.pool.connection() as conn:
            cur = await conn.execute(CHANGED_SINCE, (since,), prepare=True)
            changed = await cur.fetchall()
        # Rows the one that synced further has seen already: evicting or indexing them
        # again changes nothing.
        await self.cache.take(changed, position)
        await self.analyses.take(changed, position)
