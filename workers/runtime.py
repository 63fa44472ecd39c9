"""Starting the job machinery in a process: broker, worker threads and the dispatcher.

`pichr serve` runs it inside the API process, `pichr worker` alone; both start it from the
composition root (scripts/lifespan.py, scripts/jobs.py), which builds the TaskContext it runs.
"""

from __future__ import annotations

import logging
import threading

import dramatiq
from dramatiq import Broker

from pichr.application.settings import Settings
from pichr.workers.broker import BrokerSettings, broker_kind, make_broker
from pichr.workers.cleanup import CleanupScheduler
from pichr.workers.context import TaskContext, install
from pichr.workers.dispatcher import Dispatcher
from pichr.workers.failures import ensure_failures_table
from pichr.workers.tasks import nsfw_model

log = logging.getLogger("pichr.workers")


def broker_settings(settings: Settings, database_url: str) -> BrokerSettings:
    return BrokerSettings(
        broker_url=settings.broker_url,
        database_url=database_url,
        recovery_seconds=settings.job_recovery_seconds,
        max_retries=settings.job_max_retries,
        min_backoff_ms=settings.job_min_backoff_ms,
        namespace=settings.job_namespace,
    )


def transactional(settings: Settings, database_url: str) -> bool:
    """Whether the broker's queue lives in the event store's own database."""
    url = settings.broker_url
    return broker_kind(url) == "postgresql" and url in ("", database_url)


class WorkerRuntime:
    def __init__(self, context: TaskContext, *, dispatch: bool = True) -> None:
        self.settings = context.settings
        self.database_url = context.database_url
        self.context = context
        self.dispatch = dispatch
        self.broker: Broker | None = None
        self.worker: dramatiq.Worker | None = None
        self.dispatcher: Dispatcher | None = None
        self.scheduler: CleanupScheduler | None = None
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        ensure_failures_table(self.database_url)
        self.broker = make_broker(broker_settings(self.settings, self.database_url))
        install(self.context)
        if self.settings.worker_threads > 0:
            # Load the model (and check its digest) now, not in the first upload's wait.
            warm = threading.Thread(target=nsfw_model, args=(self.context,), daemon=True)
            warm.start()
            self.worker = dramatiq.Worker(
                self.broker, worker_threads=self.settings.worker_threads, worker_timeout=250
            )
            self.worker.start()
        if self.dispatch:
            self.dispatcher = Dispatcher(
                self.database_url,
                self.broker,
                in_transaction=transactional(self.settings, self.database_url),
            )
            self.threads.append(self.dispatcher.start_thread())
            # Periodic clean-up (abandon, purge, orphan sweep) where the dispatcher runs.
            self.scheduler = CleanupScheduler(self.broker, self.settings.cleanup_interval_seconds)
            self.threads.append(self.scheduler.start_thread())
        threads, lanes = self.settings.worker_threads, self.settings.analysis_lanes
        log.info(
            "jobs: %s broker, %d worker threads, %d analysis lanes, dispatcher %s",
            broker_kind(self.settings.broker_url),
            threads,
            lanes,
            "on" if self.dispatch else "off",
        )
        if 0 < threads <= lanes:  # workers/batching.py: a batch needs more jobs than lanes
            log.warning("jobs: %d threads for %d analysis lanes: no batching", threads, lanes)

    def stop(self, timeout_ms: int = 10_000) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.worker is not None:
            self.worker.stop(timeout=timeout_ms)
        for thread in self.threads:
            thread.join(timeout=5)
        if self.broker is not None:
            self.broker.close()
        install(None)
