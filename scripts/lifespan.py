"""An API process's life: what starts with it and stops with it, around its Services.

Every API process runs the position waiter (read-your-writes) and the flush of view counts and
keys' last use. `pichr serve` (embedded) also runs here the projection runners, the expiry
sweep and the job machinery (dispatcher and worker threads), which `pichr projections` and
`pichr worker` run on their own otherwise (scripts/roles.py, scripts/jobs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from psycopg_pool import AsyncConnectionPool

from pichr.api.app import Lifespan
from pichr.api.services import Services
from pichr.application.files.expiry import ExpirySweeper
from pichr.application.settings import Settings
from pichr.projections.log.runner import ProjectionRunner
from pichr.projections.queries.for_commands import FileCandidates
from pichr.projections.views.registry import all_projections
from pichr.scripts.compose import task_context
from pichr.scripts.services import build
from pichr.workers.runtime import WorkerRuntime


def lifespan(settings: Settings, database_url: str, *, with_projections: bool) -> Lifespan:
    """The lifespan create_app gives the app: the Services, in `app.state.services`."""

    @contextlib.asynccontextmanager
    async def run(app: Litestar) -> AsyncIterator[None]:
        async with running(settings, database_url, with_projections) as services:
            app.state.services = services
            yield

    return run


@contextlib.asynccontextmanager
async def running(
    settings: Settings, database_url: str, with_projections: bool
) -> AsyncIterator[Services]:
    pool = _read_pool(settings, database_url)
    await pool.open(wait=False)
    worker_here = with_projections and settings.worker_threads > 0
    services = build(settings, database_url, pool, worker_here=worker_here)
    sweeper = ExpirySweeper(FileCandidates(database_url), services.app)
    jobs = WorkerRuntime(task_context(services.app, services.blobs, settings, database_url))
    runners: list[ProjectionRunner] = []
    if with_projections:  # `pichr serve`: the job dispatcher and worker threads run here too
        await asyncio.to_thread(jobs.start)
        runners = [ProjectionRunner(database_url, all_projections())]
        for runner in runners:
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
        for runner in runners:
            runner.stop()
        sweeper.stopping.set()
        await asyncio.to_thread(jobs.stop)
        await pool.close()
        services.app.close()


def _read_pool(settings: Settings, database_url: str) -> AsyncConnectionPool[Any]:
    return AsyncConnectionPool(
        database_url,
        min_size=2,
        max_size=settings.db_pool_size,
        open=False,
        timeout=5,
        kwargs={"autocommit": True},  # reads only: no COMMIT round trip per query
    )


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
