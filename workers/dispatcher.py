"""Jobs come from the event log, never from a request: an accepted upload cannot lose its job.

The dispatcher follows the log as a projection does, through the same reader and tracking table
(projections/log/reader.py): in one transaction it locks its tracking row, reads the events
after its position, enqueues their jobs and moves the position. On the PostgreSQL broker the
messages are rows written in that same transaction (exactly once). On RabbitMQ or Redis they
are published while the row is locked and the position commits after: at-least-once, and the
actors are idempotent. While the broker is down nothing moves; the jobs wait in the log and go
out when it returns.

It reads only the topics its routes name, and looks before it locks: most commits (presign,
PUT, the analysis itself) carry no job, and they cost a read, not a write and a WAL flush. It
looks only when a commit's notice names one of those topics (application/store/recorder.py), or
names none, or after half a second without one. The position then moves with the next job, or once
BATCH positions lag, so a restart re-reads little.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from dramatiq import Broker
from dramatiq.errors import DramatiqError
from psycopg import Connection

from pichr.application.store.recorder import may_concern
from pichr.domain import ids
from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.events import LoggedEvent
from pichr.projections.log.reader import ensure_tracking, locked_position, look, move, read_batch
from pichr.workers.broker import message

log = logging.getLogger("pichr.workers")
TRACKING = "job_dispatcher"
BATCH = 500
ANALYSIS_GROUP = 4  # files per analysis message: one model call scores them together
FINALIZED = "pichr.file.UploadFinalized.v1"


@dataclass(frozen=True, slots=True)
class Job:
    name: str  # a `@job` function's name
    args: tuple[Any, ...]
    key: str  # unique per event and job: the message id derives from it


@dataclass(frozen=True, slots=True)
class Route:
    """Turns a batch of events (only `topics`) into jobs."""

    topics: tuple[str, ...]
    jobs: Callable[[list[LoggedEvent]], list[Job]]


def analysis_jobs(events: list[LoggedEvent]) -> list[Job]:
    finalized = [e for e in events if e.topic == FINALIZED]
    jobs = []
    for start in range(0, len(finalized), ANALYSIS_GROUP):
        group = finalized[start : start + ANALYSIS_GROUP]
        file_ids = [ids.to_public(ids.FILE, e.originator_id) for e in group]
        key = f"{group[0].position}:analyze"
        if len(file_ids) == 1:
            jobs.append(Job("analyze_image", (file_ids[0],), key))
        else:
            jobs.append(Job("analyze_images", (file_ids,), key))
    return jobs


# Add yours (e.g. clean-up after FileDeleted): the dispatcher reads only the topics named here.
ROUTES: list[Route] = [Route((FINALIZED,), analysis_jobs)]
TOPICS = tuple(dict.fromkeys(topic for route in ROUTES for topic in route.topics))
JOB_TOPICS = frozenset(TOPICS)


def dispatch_batch(
    conn: Connection[Any], broker: Broker, *, in_transaction: bool, batch: int = BATCH
) -> int:
    """Enqueue the jobs of the next batch of events; how many log positions it moved past."""
    with conn.cursor() as cur:  # the look: one statement, outside a transaction
        start, due, head = look(cur, TRACKING, TOPICS)  # most commits carry no job
    if not due and head - start < batch:
        return 0  # no job due: the position moves with the next one (or once BATCH lag)
    with conn.transaction(), conn.cursor() as cur:
        start = locked_position(cur, TRACKING)  # another dispatcher may have moved it
        events, reached = read_batch(cur, start, batch, TOPICS)
        for job in (job for route in ROUTES for job in route.jobs(_of(events, route.topics))):
            sent = message(broker, job.name, *job.args, key=job.key)
            if in_transaction:
                from pichr.workers.pgbroker import enqueue_in  # noqa: PLC0415

                enqueue_in(cur, broker, sent)
            else:
                broker.enqueue(sent)
        move(cur, TRACKING, reached)
    return reached - start


def _of(events: list[LoggedEvent], topics: tuple[str, ...]) -> list[LoggedEvent]:
    return [e for e in events if e.topic in topics]


class Dispatcher:
    """Follows the log until stopped; survives database and broker outages."""

    def __init__(self, database_url: str, broker: Broker, *, in_transaction: bool) -> None:
        self.database_url = database_url
        self.broker = broker
        self.in_transaction = in_transaction
        self.stopping = threading.Event()

    def run(self) -> None:
        delay = 0.2
        while not self.stopping.is_set():
            try:
                self._follow()
            except (psycopg.Error, DramatiqError, OSError) as exc:
                log.warning("job dispatcher: %s; retrying in %.1f s", exc, delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def _follow(self) -> None:
        with (
            psycopg.connect(self.database_url, autocommit=True) as listener,
            psycopg.connect(self.database_url, autocommit=True) as conn,  # looks: no BEGIN
        ):
            ensure_tracking(conn, TRACKING, "")
            listener.execute(f"LISTEN {EVENTS_TABLE}")
            while not self.stopping.is_set():
                while dispatch_batch(conn, self.broker, in_transaction=self.in_transaction):
                    pass
                # Until a commit that may carry a job (most carry none), or half a second.
                for note in listener.notifies(timeout=0.5):
                    if may_concern(note.payload, JOB_TOPICS):
                        break

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="job-dispatcher", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
