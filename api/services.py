"""Everything a request handler needs, built once per process from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pichr.api.album_services import AlbumServices, build_album_services
from pichr.api.auth import Authenticator
from pichr.api.limits.guesses import MovingWindowGuesses
from pichr.api.limits.limiter import Limiter
from pichr.api.wire.views import Urls
from pichr.application.blobs.factory import blob_store_for
from pichr.application.blobs.port import BlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.files.expiry import ExpirySweeper
from pichr.application.files.tally import KeyUsageRecorder, ViewCounter
from pichr.application.identity import Identity
from pichr.application.moderation.blocklist import SqlBlocklist
from pichr.application.moderation.decisions import Moderation
from pichr.application.multipart.commands import Multipart
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.application.uploads.commands import Uploads
from pichr.application.uploads.handoff import with_handoff
from pichr.application.uploads.plans import Plan, load_plans
from pichr.projections.log.analysis_follower import AnalysisFollower
from pichr.projections.log.file_feed import FileListingFeed
from pichr.projections.log.runner import ProjectionRunner
from pichr.projections.log.waiter import PositionWaiter
from pichr.projections.queries.cache import ReadCache
from pichr.projections.queries.reads import ReadModels
from pichr.projections.views.registry import all_projections
from pichr.workers.runtime import WorkerRuntime

log = logging.getLogger("pichr.api")


@dataclass
class Services:
    settings: Settings
    app: PichrApplication
    blobs: BlobStore
    uploads: Uploads
    files: FileCommands
    reads: ReadModels
    auth: Authenticator
    waiter: PositionWaiter
    counter: ViewCounter
    urls: Urls
    identity: Identity
    plans: dict[str, Plan]
    limiter: Limiter | None  # None: limits switched off (PICHR_RATE_LIMITS=false)
    multipart: Multipart
    albums: AlbumServices
    analyses: AnalysisFollower  # analysis results as they land: duplicates, finalize's wait
    moderation: Moderation  # reports, the reporters' e-mails, moderators' decisions
    trusted_proxies: frozenset[str] = frozenset()
    runners: list[ProjectionRunner] = field(default_factory=list)

    @property
    def nsfw_threshold(self) -> float:
        return self.settings.nsfw_threshold

    async def caught_up(self, position: int, projection: str = "file_listing") -> bool:
        if position <= 0:
            return True
        return await self.waiter.wait_for(projection, position, self.settings.read_wait_ms / 1000)

    async def fenced(self, projection: str = "file_listing") -> bool:
        """Wait until `projection` has folded every event committed before this call: a read
        that follows a command which did not wait (presign) sees what that command wrote."""
        return await self.caught_up(await self.reads.head(), projection)

    async def file_row(self, file_id: str) -> dict[str, Any] | None:
        """The file's row; a missing one is read again once the log is folded (presigned a
        moment ago: presign does not wait for the read models)."""
        row = await self.reads.file(file_id)
        if row is None and await self.fenced():
            row = await self.reads.file(file_id)
        return row


def build(
    settings: Settings, database_url: str, pool: AsyncConnectionPool, *, worker_here: bool = False
) -> Services:
    """`worker_here`: the analysis worker runs in this process, and the upload bytes are
    handed on to it in memory (application/uploads/handoff.py)."""
    app = PichrApplication(env=eventsourcing_env(database_url, settings.db_pool_size))
    blobs = with_handoff(blob_store_for(settings)) if worker_here else blob_store_for(settings)
    cache = ReadCache()
    reads = ReadModels(pool, cache)
    key_usage = KeyUsageRecorder(app)
    auth = Authenticator(reads, key_usage)
    plans = load_plans(settings.plans)
    blocklist = SqlBlocklist(app, settings.phash_max_distance)  # finalize refuses its hashes
    uploads = Uploads(app, blobs, plans, settings.anonymous_expiry_hours, blocklist)
    web_base = settings.web_base or settings.base_url
    redis, prefix, closed = settings.redis_url, settings.redis_prefix, settings.limits_fail_closed
    guesses = MovingWindowGuesses(redis, prefix, fail_closed=closed)
    ceiling = MovingWindowGuesses(
        redis, prefix, limit=settings.album_guesses_per_hour, window_seconds=3600,
        fail_closed=closed,
    )  # fmt: skip
    albums = build_album_services(app, pool, settings.nsfw_threshold, web_base, guesses, ceiling)
    analyses = AnalysisFollower(pool)
    return Services(
        settings=settings,
        app=app,
        blobs=blobs,
        uploads=uploads,
        # Part URLs live as long as an unfinished upload may (then it is abandoned).
        multipart=Multipart(app, blobs, uploads, timedelta(hours=settings.abandon_after_hours)),
        files=FileCommands(app, uploads.quotas),
        reads=reads,
        auth=auth,
        waiter=PositionWaiter(
            database_url, [FileListingFeed(pool, cache, analyses), auth, albums.cache]
        ),
        counter=ViewCounter(app),
        urls=Urls(settings.base_url, settings.cdn_url),
        identity=Identity(app),
        plans=plans,
        limiter=Limiter(settings.redis_url, settings.redis_prefix)
        if settings.rate_limits
        else None,
        trusted_proxies=frozenset(p.strip() for p in settings.trusted_proxies.split(",") if p),
        albums=albums,
        analyses=analyses,
        moderation=Moderation(app),
    )


@contextlib.asynccontextmanager
async def running(
    settings: Settings, database_url: str, with_projections: bool
) -> AsyncIterator[Services]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database_url,
        min_size=2,
        max_size=settings.db_pool_size,
        open=False,
        timeout=5,
        kwargs={"autocommit": True},  # reads only: no COMMIT round trip per query
    )
    await pool.open(wait=False)
    worker_here = with_projections and settings.worker_threads > 0
    services = build(settings, database_url, pool, worker_here=worker_here)
    sweeper = ExpirySweeper(database_url, services.app)
    jobs = WorkerRuntime(settings, database_url, services.app, services.blobs)
    if with_projections:  # `pichr serve`: the job dispatcher and worker threads run here too
        await asyncio.to_thread(jobs.start)
        services.runners = [ProjectionRunner(database_url, all_projections())]
        for runner in services.runners:
            runner.start_thread()
        sweeper.start_thread()
    await services.waiter.start()
    flusher = asyncio.create_task(_flush_forever(services))
    try:
        yield services
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        await asyncio.to_thread(_flush_quietly, services)
        await services.waiter.stop()
        for runner in services.runners:
            runner.stop()
        sweeper.stopping.set()
        await asyncio.to_thread(jobs.stop)
        await pool.close()
        services.app.close()


async def _flush_forever(services: Services) -> None:
    """View counts every PICHR_TALLY_FLUSH_SECONDS; keys' last use more rarely (a busy key
    would otherwise put an event in the log every second)."""
    keys_flushed = time.monotonic()
    while True:
        await asyncio.sleep(services.settings.tally_flush_seconds)
        keys_due = time.monotonic() - keys_flushed >= services.settings.key_usage_flush_seconds
        if keys_due:
            keys_flushed = time.monotonic()
        await asyncio.to_thread(_flush_quietly, services, keys=keys_due)


def _flush_quietly(services: Services, *, keys: bool = True) -> None:
    with contextlib.suppress(Exception):
        services.counter.flush()
    if keys and services.auth.usage is not None:
        with contextlib.suppress(Exception):
            services.auth.usage.flush()
