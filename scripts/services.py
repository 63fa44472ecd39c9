"""The composition root of an API process: the Services its handlers read (api/services.py),
built from the settings. Nothing here starts a thread: scripts/lifespan.py starts and stops
what runs beside them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pichr.api.album_services import AlbumServices
from pichr.api.auth import Authenticator
from pichr.api.limits.guesses import MovingWindowGuesses
from pichr.api.limits.limiter import Limiter
from pichr.api.services import Services
from pichr.api.wire.views import Urls
from pichr.application.albums.commands import AlbumCommands
from pichr.application.albums.passwords import PasswordChecker
from pichr.application.blobs.factory import blob_store_for
from pichr.application.files.commands import FileCommands
from pichr.application.files.tally import KeyUsageRecorder, ViewCounter
from pichr.application.files.variants import Variants
from pichr.application.identity import Identity
from pichr.application.moderation.decisions import Moderation
from pichr.application.multipart.commands import Multipart
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.application.uploads.commands import Uploads
from pichr.application.uploads.duplicates import DuplicateIndex
from pichr.application.uploads.handoff import with_handoff
from pichr.application.uploads.plans import load_plans
from pichr.projections.log.analysis_follower import AnalysisFollower
from pichr.projections.log.file_feed import FileListingFeed
from pichr.projections.log.waiter import PositionWaiter
from pichr.projections.queries.album_cache import AlbumCache
from pichr.projections.queries.albums import AlbumReads
from pichr.projections.queries.cache import ReadCache
from pichr.projections.queries.ops import OpsReads
from pichr.projections.queries.reads import ReadModels
from pichr.scripts.compose import blocklist_for, erasure, report_index
from pichr.workers.broker import broker_kind


def build(
    settings: Settings, database_url: str, pool: AsyncConnectionPool[Any], *,
    worker_here: bool = False,
) -> Services:  # fmt: skip
    """Everything a request handler reads, for one API process (`pool`: its reads).
    `worker_here`: the analysis worker runs in this process, and the upload bytes are handed
    on to it in memory (application/uploads/handoff.py)."""
    app = PichrApplication(env=eventsourcing_env(database_url, settings.db_pool_size))
    blobs = with_handoff(blob_store_for(settings)) if worker_here else blob_store_for(settings)
    cache = ReadCache()
    reads = ReadModels(pool, cache)
    auth = Authenticator(reads, KeyUsageRecorder(app))
    plans = load_plans(settings.plans)
    # Finalize refuses the blocklist's hashes.
    uploads = Uploads(
        app, blobs, plans, settings.anonymous_expiry_hours, blocklist_for(app, settings)
    )
    albums = album_services(app, pool, settings)
    analyses = AnalysisFollower(pool, DuplicateIndex())
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
        reports_of_file=report_index(app),
        variants=Variants(blobs, settings.variants_per_file, settings.variant_renders),
        ops=OpsReads(pool, broker_in_database=broker_kind(settings.broker_url) == "postgresql"),
        erasure=erasure(app, blobs, database_url),
    )


def album_services(
    app: PichrApplication, pool: AsyncConnectionPool[Any], settings: Settings
) -> AlbumServices:
    redis, prefix, closed = settings.redis_url, settings.redis_prefix, settings.limits_fail_closed
    per_album = settings.album_guesses_per_hour
    cache = AlbumCache(pool)
    return AlbumServices(
        commands=AlbumCommands(app),
        reads=AlbumReads(pool, cache, settings.nsfw_threshold),
        cache=cache,
        passwords=PasswordChecker(),
        guesses=MovingWindowGuesses(redis, prefix, fail_closed=closed),
        album_guesses=MovingWindowGuesses(
            redis, prefix, limit=per_album, window_seconds=3600, fail_closed=closed
        ),
        web_base=(settings.web_base or settings.base_url).rstrip("/"),
    )
