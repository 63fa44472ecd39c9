"""`pichr worker` (job worker threads and the job dispatcher) and `pichr jobs failed`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from prometheus_client import start_http_server

from pichr.api.middleware.logs import configure
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env, resolve_database_url
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.output import emit
from pichr.workers.failures import failed_jobs

log = logging.getLogger("pichr")


def _url(settings: Settings) -> str:
    url = resolve_database_url(settings.database_url, settings.data_dir)
    ensure_all(url)
    return url


def worker(args: argparse.Namespace) -> int:
    """Worker threads on PICHR_BROKER_URL, plus the dispatcher that feeds them from the log.

    Several `pichr worker` processes may run: their dispatchers take turns on one tracking row.
    """
    from pichr.application.blobs.factory import blob_store_for  # noqa: PLC0415  (heavy: `pichr --help`
    from pichr.scripts.compose import task_context  # noqa: PLC0415  need not load the image
    from pichr.workers.runtime import WorkerRuntime  # noqa: PLC0415  pipeline)

    settings = Settings.from_env()
    configure(settings.log_level)
    url = _url(settings)
    # Threads on the event store at once: the analysis lanes (workers/batching.py; the other
    # analysis jobs wait for a lane) and the three clean-up jobs.
    busy = min(settings.worker_threads, settings.analysis_lanes + 3)
    app = PichrApplication(env=eventsourcing_env(url, busy + 2))
    blobs = blob_store_for(settings)
    context = task_context(app, blobs, settings, url)
    runtime = WorkerRuntime(context, dispatch=not args.no_dispatch)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runtime.start()
    if settings.metrics and settings.worker_metrics_port:  # analyses and renders happen here
        start_http_server(settings.worker_metrics_port, addr=settings.host)
    stop.wait()
    runtime.stop()
    app.close()
    return 0


def jobs_failed(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    rows = failed_jobs(_url(settings), args.limit)
    emit({"failed": rows, "count": len(rows)})
    return 0


def add_jobs(sub: Any) -> None:
    w = sub.add_parser("worker", help="job worker threads + the job dispatcher (PICHR_BROKER_URL)")
    w.add_argument(
        "--no-dispatch", action="store_true", help="run jobs only; another process dispatches"
    )
    w.set_defaults(run=worker)
    jobs = sub.add_parser("jobs", help="inspect background jobs").add_subparsers(
        dest="jobs_action", required=True
    )
    f = jobs.add_parser("failed", help="dead jobs (retries exhausted) as JSON")
    f.add_argument("--limit", type=int, default=1000)
    f.set_defaults(run=jobs_failed)
