"""The composition root's wiring of ports: which implementation answers each question the
command side asks the read models (application's Protocols, answered by
projections/queries/for_commands.py), for every role. The API process's Services are put
together in scripts/services.py, and started in scripts/lifespan.py.
"""

from __future__ import annotations

import functools

from pichr.application.blobs.port import BlobStore
from pichr.application.moderation.blocklist import ReadModelBlocklist
from pichr.application.moderation.reports import app_cursor
from pichr.application.privacy.erase import Erasure
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.plans import DEFAULT_PLANS
from pichr.application.uploads.quota import Quotas
from pichr.projections.log.replay import rebuild
from pichr.projections.queries.erasure import AccountContentsRows
from pichr.projections.queries.for_commands import (
    BlocklistRows,
    Cursors,
    FileCandidates,
    ReportIndex,
)
from pichr.projections.views.registry import all_projections
from pichr.workers.context import TaskContext


def cursors(app: PichrApplication) -> Cursors:
    """Cursors on the event store's own pool: a question asked inside a command (finalize, the
    analysis) takes no connection of its own."""
    return functools.partial(app_cursor, app)


def blocklist_for(app: PichrApplication, settings: Settings) -> ReadModelBlocklist:
    """The blocklist read model (finalize, the analysis)."""
    return ReadModelBlocklist(BlocklistRows(cursors(app)), settings.phash_max_distance)


def report_index(app: PichrApplication) -> ReportIndex:
    """The reports naming a file (a file's history, application/moderation/audit.py)."""
    return ReportIndex(cursors(app))


def task_context(
    app: PichrApplication, blobs: BlobStore, settings: Settings, database_url: str
) -> TaskContext:
    """What the job runtime (or a test, or `pichr reanalyze`) runs the tasks with."""
    return TaskContext(
        app,
        blobs,
        settings,
        database_url,
        blocklist=blocklist_for(app, settings),
        candidates=FileCandidates(database_url),
    )


def erasure(app: PichrApplication, blobs: BlobStore, database_url: str) -> Erasure:
    """`pichr accounts erase` and the admin route: the erasure, with the read models holding
    personal data rebuilt from the log afterwards (beside the live ones, then switched)."""

    def rebuild_views(names: tuple[str, ...]) -> None:
        for projection in all_projections():
            if projection.name in names:
                rebuild(database_url, projection)

    quotas = Quotas(app, DEFAULT_PLANS)
    return Erasure(app, blobs, quotas, AccountContentsRows(database_url), rebuild_views)
