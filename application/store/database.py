"""Where PostgreSQL is: the configured URL, or the embedded server under the data dir."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from pichr.application.store.recorder import TOPIC as RECORDER_TOPIC

log = logging.getLogger("pichr.database")
# Held while a process creates tables: concurrent CREATE ... IF NOT EXISTS of one table can
# collide in PostgreSQL's catalog (UniqueViolation), so roles starting together take turns.
SCHEMA_LOCK = "SELECT pg_advisory_lock(hashtext('pichr:schema'))"
SCHEMA_XACT_LOCK = "SELECT pg_advisory_xact_lock(hashtext('pichr:schema'))"


def resolve_database_url(database_url: str, data_dir: Path) -> str:
    """The URL to use; starts (or joins) the embedded PostgreSQL when none is configured.

    pgserver shares one server per data directory between processes, so the CLI works
    against the same database while `pichr serve` runs.
    """
    if database_url:
        return database_url
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers
        warnings.simplefilter("ignore")
        import pgserver  # noqa: PLC0415  (only the embedded default needs it)

        pgdata = (data_dir / "pg").resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode=None
        )
    log.info("embedded PostgreSQL at %s", pgdata)
    return str(server.get_uri())


def eventsourcing_env(database_url: str, pool_size: int) -> dict[str, str]:
    """The eventsourcing library's settings for PostgreSQL (never the db-functions path)."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": RECORDER_TOPIC,
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max(1, pool_size // 2)),
        # A ping for pooled connections: with none (tried) the recorder's 10 retries could all
        # meet dead connections after a database restart, and the first commands failed
        # (tests/integration/test_http_outages). The recorder pings only those that sat idle
        # (application/store/pool_check.py): one before every use cost a dozen round trips per
        # upload.
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
    }
