"""`pichr reanalyze --since DATE`: every finalized file through the current pipeline again.

Run it after changing the NSFW model (PICHR_NSFW_MODEL) or the pipeline: files whose results
change get an ImageReanalyzed event with the new score, hash and model, and the read models
follow. Files whose results are the same record nothing, so a second run is a no-op.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg

from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.scripts.events import Progress
from pichr.scripts.output import emit

BATCH = 8  # one model call per batch
DUE = (
    "SELECT id FROM file_listing WHERE status = 'ready' AND analyzed_at IS NOT NULL"
    " AND finalized_at >= %s ORDER BY finalized_at, id"
)


def reanalyze(args: argparse.Namespace, url: Callable[[], str]) -> int:
    from pichr.application.blobs.factory import blob_store_for  # noqa: PLC0415  (heavy: loaded only
    from pichr.scripts.compose import task_context  # noqa: PLC0415  when the command runs, not for
    from pichr.workers.tasks import reanalyze_images  # noqa: PLC0415  every `pichr` call)

    since = datetime.fromisoformat(args.since)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    database_url = url()
    settings = Settings.from_env()
    with psycopg.connect(database_url) as conn:
        file_ids = [row[0] for row in conn.execute(DUE, (since,)).fetchall()]
    app = PichrApplication(env=eventsourcing_env(database_url, 2))
    context = task_context(app, blob_store_for(settings), settings, database_url)
    progress, changed = Progress(len(file_ids), sys.stderr), 0
    try:
        for start in range(0, len(file_ids), BATCH):
            chunk = file_ids[start : start + BATCH]
            changed += reanalyze_images(context, chunk)
            progress.step(len(chunk))
    finally:
        progress.close()
        context.app.close()
    emit({"files": len(file_ids), "reanalyzed": changed})
    return 0


def add_reanalyze(sub: Any, url: Callable[[], str]) -> None:
    r = sub.add_parser(
        "reanalyze",
        help="run finalized files through the current pipeline again",
        description=__doc__,
    )
    r.add_argument("--since", required=True, help="files finalized at or after this date/time")
    r.set_defaults(run=lambda args: reanalyze(args, url))
