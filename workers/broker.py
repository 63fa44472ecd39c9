"""Broker set-up: which dramatiq broker carries the jobs, and how a job (an actor) is declared.

Brokers, chosen by PICHR_BROKER_URL:
- empty (the embedded default) or postgresql://...: dramatiq-postgres on the same PostgreSQL as
  the event store. Durable: a message is a row; a claimed message of a killed process goes back
  to the queue once that process's heartbeat is older than PICHR_JOB_RECOVERY_SECONDS.
- amqp://... : RabbitMQ (publisher confirms on; unacked messages return when a worker dies).
- redis://... : Redis (a dead worker's messages return after PICHR_JOB_RECOVERY_SECONDS).

How to add a job
----------------
1. Write the work as a plain task function that takes ids (never bytes) and is safe to run twice;
   tests call it directly (see workers/tasks.py).
2. Declare the actor, two lines, with `job` in a module listed in ACTOR_MODULES (add yours):

       from workers.broker import job
       from workers.context import current

       @job(queue="cleanup", max_retries=5)
       def purge_upload(file_id: str) -> None:
           cleanup_tasks.purge_upload(current(), file_id)

   `job` only records the function (importing an actor module connects nowhere and needs no
   broker); `make_broker` declares every recorded job on the broker it builds. `current()`
   is the process's TaskContext (event store app, blob store, settings), installed by the
   worker runtime (workers/runtime.py) before any message runs.
3. Send one with `send(broker, "purge_upload", file_id)` (broker: WorkerRuntime.broker), or
   better, add a route in workers/dispatcher.py (ROUTES: events -> jobs) so it is enqueued
   from the event log, never from a request.

A job that raises is retried with exponential back-off (PICHR_JOB_MAX_RETRIES,
PICHR_JOB_MIN_BACKOFF_MS); once retries are exhausted (or it raises one of its `throws`) the
message is dead: workers/failures.py records it in the `job_failures` table, which
`pichr jobs failed` prints. Nothing vanishes.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq import Broker, Message
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from pichr.workers.failures import DeadLetters

# Modules whose `@job` functions every worker process declares. Add yours here.
ACTOR_MODULES: tuple[str, ...] = ("pichr.workers.actors", "pichr.workers.cleanup")
MESSAGE_NAMESPACE = uuid.UUID("6f1d2c1e-5a8b-4f6e-9a51-2f0b8f3c7d10")


@dataclass(frozen=True)
class JobSpec:
    fn: Callable[..., None]
    queue: str
    options: dict[str, Any] = field(default_factory=dict)


JOBS: dict[str, JobSpec] = {}


def job(
    *, queue: str = "default", **options: Any
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Record an actor; `options` are dramatiq actor options (max_retries, throws, time_limit)."""

    def record(fn: Callable[..., None]) -> Callable[..., None]:
        JOBS[fn.__name__] = JobSpec(fn, queue, options)
        return fn

    return record


@dataclass(frozen=True)
class BrokerSettings:
    broker_url: str  # "" = PostgreSQL at database_url
    database_url: str
    recovery_seconds: float = 30.0
    max_retries: int = 8
    min_backoff_ms: int = 1000
    max_backoff_ms: int = 300_000
    time_limit_ms: int = 300_000
    namespace: str = (
        "pichr"  # queue names are "<namespace>.<queue>": deployments can share a broker
    )


def broker_kind(broker_url: str) -> str:
    scheme = broker_url.split(":", 1)[0].lower() if broker_url else "postgresql"
    kinds = {"amqp": "rabbitmq", "amqps": "rabbitmq", "redis": "redis", "rediss": "redis"}
    if scheme in ("postgres", "postgresql"):
        return "postgresql"
    if scheme not in kinds:
        raise ValueError(f"PICHR_BROKER_URL: unsupported scheme {scheme!r}")
    return kinds[scheme]


def make_broker(config: BrokerSettings) -> Broker:
    """A broker with retries, dead-letter recording, and every job of ACTOR_MODULES declared."""
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=config.time_limit_ms),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=config.max_retries,
            min_backoff=config.min_backoff_ms,
            max_backoff=config.max_backoff_ms,
        ),
        CurrentMessage(),
        DeadLetters(config.database_url),
    ]
    kind = broker_kind(config.broker_url)
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415

        broker: Broker = RabbitmqBroker(
            url=config.broker_url, confirm_delivery=True, middleware=middleware
        )
    elif kind == "redis":
        from dramatiq.brokers.redis import RedisBroker  # noqa: PLC0415

        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=config.broker_url,
            middleware=middleware,
            namespace=config.namespace,
            heartbeat_timeout=int(config.recovery_seconds * 1000),
            maintenance_chance=100_000,  # of a million commands: dead workers' jobs return soon
        )
    else:
        from pichr.workers.pgbroker import postgres_broker  # noqa: PLC0415

        broker = postgres_broker(
            config.broker_url or config.database_url, config.recovery_seconds, middleware
        )
    declare_jobs(broker, config.namespace)
    return broker


def load_jobs() -> dict[str, JobSpec]:
    """Import every actor module (each `@job` records itself); the jobs by name."""
    for module in ACTOR_MODULES:
        importlib.import_module(module)
    return JOBS


def declare_jobs(broker: Broker, namespace: str) -> None:
    for name, spec in load_jobs().items():
        dramatiq.Actor(
            spec.fn,
            actor_name=name,
            queue_name=f"{namespace}.{spec.queue}",
            priority=0,
            broker=broker,
            options=spec.options,
        )


def message(broker: Broker, name: str, *args: Any, key: str | None = None) -> Message[Any]:
    """A message for job `name`; `key` makes its id deterministic (one id per event and job)."""
    queue = broker.get_actor(name).queue_name
    made: Message[Any] = Message(
        queue_name=queue, actor_name=name, args=args, kwargs={}, options={}
    )
    return made.copy(message_id=str(uuid.uuid5(MESSAGE_NAMESPACE, key))) if key else made


def send(broker: Broker, name: str, *args: Any) -> Message[Any]:
    return broker.enqueue(message(broker, name, *args))
