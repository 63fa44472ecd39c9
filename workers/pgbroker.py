"""The embedded default broker: dramatiq-postgres on the event store's own PostgreSQL.

Chosen over dramatiq-pg, which pins dramatiq < 2 and psycopg2; dramatiq-postgres runs on
dramatiq 2 and psycopg 3 (what the project already uses), requeues the messages of a dead
worker by heartbeat, and keeps rejected (dead) messages until purged.
"""

from __future__ import annotations

from typing import Any

import psycopg
from dramatiq import Message
from dramatiq.middleware import Middleware
from dramatiq_postgres import PostgresBroker
from dramatiq_postgres.broker import QUERIES
from dramatiq_postgres.schema import init
from dramatiq_postgres.utils import make_pool, tidy4json
from psycopg import Cursor
from psycopg.types.json import Json

POOL_SIZE = 6  # a steady consumer per queue and its delay queue (analysis, cleanup), notifier, acks


def ensure_queue_schema(database_url: str) -> None:
    """Create the broker's tables (schema `dramatiq`) when missing; safe to run concurrently."""
    with psycopg.connect(database_url) as conn, conn.transaction(), conn.cursor() as cur:
        init(cur)


def postgres_broker(
    database_url: str, recovery_seconds: float, middleware: list[Middleware]
) -> PostgresBroker:
    ensure_queue_schema(database_url)
    return PostgresBroker(
        pool=make_pool(database_url, maxconn=POOL_SIZE),
        results=False,
        middleware=middleware,
        poll_interval=1.0,
        # A killed process's claimed messages return to the queue after `recovery_seconds`.
        heartbeat_interval=max(0.5, recovery_seconds / 4),
        heartbeat_ttl=recovery_seconds,
        maintenance_interval=max(1.0, recovery_seconds / 2),
    )


def enqueue_in(cur: Cursor[Any], broker: PostgresBroker, message: Message[Any]) -> None:
    """Enqueue inside the caller's transaction: the message exists iff that transaction commits.

    The same statement as PostgresBroker.enqueue (an upsert on message_id, then NOTIFY, which
    PostgreSQL delivers at commit); the broker's own enqueue would use a separate connection.
    """
    broker.emit_before("enqueue", message, None)
    cur.execute(
        QUERIES.ENQUEUE, (message.queue_name, message.message_id, Json(tidy4json(message)), 0)
    )
    broker.emit_after("enqueue", message, None)
