"""Dead jobs: a message whose retries are exhausted is recorded here, whatever the broker.

Brokers keep their own dead letters for a while (RabbitMQ's and Redis's for 7 days, the
PostgreSQL broker until purged); this table keeps every failure until an operator clears it,
and `pichr jobs failed` lists it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from dramatiq import Broker, MessageProxy
from dramatiq.middleware import Middleware

from pichr.application.store.database import SCHEMA_XACT_LOCK

log = logging.getLogger("pichr.workers")

DDL = (
    "CREATE TABLE IF NOT EXISTS job_failures (message_id text PRIMARY KEY, actor text NOT NULL,"
    " queue text NOT NULL, args jsonb NOT NULL, attempts int NOT NULL, error text NOT NULL,"
    " failed_at timestamptz NOT NULL DEFAULT now())"
)
INSERT = (
    "INSERT INTO job_failures (message_id, actor, queue, args, attempts, error)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (message_id) DO UPDATE SET"
    " attempts = EXCLUDED.attempts, error = EXCLUDED.error, failed_at = now()"
)


def ensure_failures_table(database_url: str) -> None:
    with psycopg.connect(database_url) as conn, conn.transaction():
        conn.execute(SCHEMA_XACT_LOCK)  # a role starting meanwhile may create it too
        conn.execute(DDL)


class DeadLetters(Middleware):
    """Records each nacked (dead) message in `job_failures`."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def after_nack(self, broker: Broker, message: MessageProxy) -> None:
        options = message.options
        error = str(options.get("traceback") or "failed")[-4000:]
        row = (
            message.message_id,
            message.actor_name,
            message.queue_name,
            json.dumps(list(message.args)),
            int(options.get("retries", 0)),  # failed runs: the first one and every retry
            error,
        )
        try:
            with psycopg.connect(self.database_url) as conn:
                conn.execute(DDL)
                conn.execute(INSERT, row)
        except psycopg.Error:
            # The broker still holds the dead message; the log line says which one.
            log.exception("could not record dead job %s (%s)", message.message_id, row[1])


def failed_jobs(database_url: str, limit: int = 1000) -> list[dict[str, Any]]:
    ensure_failures_table(database_url)  # asked before any worker ran: nothing failed yet
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT message_id, actor, queue, args, attempts, error, failed_at"
            " FROM job_failures ORDER BY failed_at DESC LIMIT %s",
            (limit,),
        ).fetchall()
    return [
        {
            "messageId": r[0],
            "actor": r[1],
            "queue": r[2],
            "args": r[3],
            "attempts": r[4],
            "error": r[5],
            "failedAt": r[6].isoformat(),
        }
        for r in rows
    ]
