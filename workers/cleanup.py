"""Clean-up actors (two lines each, over application/cleanup/jobs.py) and their scheduler.

The scheduler thread runs in every process that runs the job machinery with the dispatcher
(`pichr serve`, `pichr worker`) and enqueues each job once per PICHR_CLEANUP_INTERVAL_SECONDS.
Messages of one interval share a deterministic id, so several schedulers mostly enqueue each
run once; a job that does run twice finds nothing left to do.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from dramatiq import Broker

from pichr.application.cleanup import jobs as cleanup
from pichr.application.uploads.plans import load_plans
from pichr.application.uploads.quota import Quotas
from pichr.workers.broker import job, message
from pichr.workers.context import TaskContext, current

log = logging.getLogger("pichr.cleanup")
QUEUE = "cleanup"
PERIODIC = ("abandon_stale_uploads", "purge_ended_files", "sweep_orphan_blobs")


@job(queue=QUEUE, max_retries=3)
def abandon_stale_uploads() -> None:
    ctx = current()
    cleanup.abandon_stale(janitor(ctx), ctx.app.clock())


@job(queue=QUEUE, max_retries=3)
def purge_ended_files() -> None:
    ctx = current()
    cleanup.purge_due(janitor(ctx), ctx.app.clock())


@job(queue=QUEUE, max_retries=3)
def sweep_orphan_blobs() -> None:
    ctx = current()
    cleanup.sweep_orphans(janitor(ctx), ctx.app.clock())


def janitor(ctx: TaskContext) -> cleanup.Cleanup:
    """The clean-up settings of this process, built once."""
    found = ctx.extras.get("cleanup")
    if not isinstance(found, cleanup.Cleanup):
        s = ctx.settings
        found = ctx.extras["cleanup"] = cleanup.Cleanup(
            app=ctx.app,
            blobs=ctx.blobs,
            quotas=Quotas(ctx.app, load_plans(s.plans)),
            database_url=ctx.database_url,
            candidates=ctx.candidates,
            abandon_after=timedelta(hours=s.abandon_after_hours),
            purge_grace=timedelta(hours=s.purge_grace_hours),
        )
    return found


class CleanupScheduler:
    def __init__(self, broker: Broker, interval: float) -> None:
        self.broker = broker
        self.interval = interval
        self.stopping = threading.Event()

    def enqueue_due(self, now: float) -> None:
        slot = int(now // self.interval)
        for name in PERIODIC:
            self.broker.enqueue(message(self.broker, name, key=f"cleanup:{name}:{slot}"))

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.enqueue_due(time.time())
            except Exception as exc:  # the broker is down: try at the next interval
                log.warning("could not enqueue the clean-up jobs: %s", exc)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="cleanup-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
