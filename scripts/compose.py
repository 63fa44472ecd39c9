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
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.projections.queries.for_commands import (
    BlocklistRows,
    Cursors,
    FileCandidates,
    ReportIndex,
)
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
