"""The file listing's changes, read once per new position for the followers that copy it: the
read cache (takes the changed rows in place of the ones it held) and the analysis follower
(duplicate index, finalize's wait). Each of them used to run its own query over the same rows,
one after the other, before read-your-writes waiters were released. The rows are read whole, so
that a request answering with the row it just changed (PATCH /files/{id}) finds it cached
instead of reading it again (a tenth of a PATCH's time under py-spy).
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from pichr.projections.log.analysis_follower import PROJECTION, AnalysisFollower
from pichr.projections.queries.cache import ReadCache
from pichr.projections.queries.rows import FileRow
from pichr.projections.views.file_listing import COLUMNS

ROWS_SINCE = f"SELECT {', '.join(COLUMNS)} FROM file_listing WHERE position > %s"


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
            cur = conn.cursor(row_factory=class_row(FileRow))
            await cur.execute(ROWS_SINCE, (since,), prepare=True)
            rows = await cur.fetchall()
        # Rows the one that synced further has seen already: taking or indexing them
        # again changes nothing.
        await self.cache.take(rows, position)
        await self.analyses.take([_analysis_fields(r) for r in rows], position)


def _analysis_fields(row: FileRow) -> tuple[Any, ...]:
    """The columns the analysis follower reads (analysis_follower.CHANGED_SINCE's)."""
    return (row.id, row.owner_id, row.sha256, row.phash, row.status, row.analyzed_at,
            row.position)  # fmt: skip
