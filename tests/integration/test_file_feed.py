"""The followers that copy the file listing into the API process: one query per new position
feeds both the read cache and the analysis follower; the album cache asks nothing while it
holds nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.uploads.commands import Uploads
from pichr.application.uploads.duplicates import DuplicateIndex
from pichr.projections.log.analysis_follower import AnalysisFollower
from pichr.projections.log.file_feed import FileListingFeed
from pichr.projections.queries.album_cache import AlbumCache
from pichr.projections.queries.cache import ReadCache
from pichr.projections.queries.rows import FileRow
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import catch_up_all, make_app, positions
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration


class CountingPool:
    """An AsyncConnectionPool that counts the connections asked of it."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self.asked = 0

    def connection(self) -> Any:
        self.asked += 1
        return self.pool.connection()


def test_one_query_feeds_the_read_cache_and_the_analysis_follower(database_url: str) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    uploads, who = Uploads(app, InMemoryBlobStore()), new_owner()
    data = image_bytes("JPEG", (64, 48), seed=7)

    async def run() -> None:
        async with AsyncConnectionPool(database_url, min_size=1, open=False) as real:
            pool = CountingPool(real)
            cache, analyses = ReadCache(), AnalysisFollower(real, DuplicateIndex())
            feed = FileListingFeed(pool, cache, analyses)  # type: ignore[arg-type]
            first = upload(uploads, who, data).file_id
            catch_up_all(database_url)
            await feed.reset(positions(database_url))
            second = upload(uploads, who, data).file_id  # the same bytes: a duplicate
            catch_up_all(database_url)
            cache.rows[first] = {"id": first}
            cache.rows[second] = {"id": second, "stale": True}
            position = positions(database_url)["file_listing"]
            await feed.advance("file_listing", position)
            assert pool.asked == 1
            fresh = cache.rows[second]  # changed since the last pass: the row as it is now
            assert isinstance(fresh, FileRow)
            assert (fresh.id, fresh.status, fresh.sha256) == (
                second,
                "ready",
                _sha(database_url, second),
            )
            assert cache.rows[first] == {"id": first}  # unchanged: kept as held
            assert cache.synced == analyses.synced == position
            sha = _sha(database_url, first)
            found = analyses.index.find(who.account_id or "", first, sha, None, 8)
            assert [m.file_id for m in found] == [second]  # indexed by the same pass
            await feed.advance("file_listing", position)  # nothing new: no query
            await feed.advance("usage", position + 5)  # not the file listing: no query
            assert pool.asked == 1

    try:
        asyncio.run(run())
    finally:
        app.close()


def _sha(database_url: str, file_id: str) -> str:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT sha256 FROM file_listing WHERE id = %s", (file_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_an_empty_album_cache_asks_nothing_but_still_fences_reads_in_flight() -> None:
    class NoPool:
        def connection(self) -> Any:
            raise AssertionError("an empty cache has nothing to evict")

    async def run() -> None:
        cache = AlbumCache(NoPool())  # type: ignore[arg-type]
        await cache.reset({"albums": 3, "file_listing": 3})
        before = cache.passes
        await cache.advance("albums", 9)
        await cache.advance("file_listing", 12)
        assert cache.synced == {"albums": 9, "file_listing": 12}
        assert cache.passes > before  # a read that started before must not be cached

    asyncio.run(run())
