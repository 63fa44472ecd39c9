"""Create the event store's and every read model's tables (idempotent; every role runs it, and
roles that start together on an empty database take turns)."""

from __future__ import annotations

import logging

import psycopg

from pichr.application.privacy.keys import ensure_table as ensure_keys_table
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import SCHEMA_LOCK, eventsourcing_env
from pichr.projections.log.reader import ensure_tracking
from pichr.projections.log.replay import rebuild
from pichr.projections.log.runner import ensure_schema, schema_hash
from pichr.projections.views.registry import all_projections

log = logging.getLogger("pichr.projections")


def ensure_all(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as turn:  # closing it releases the lock
        turn.execute(SCHEMA_LOCK)
        _ensure_all(database_url)


def _ensure_all(database_url: str) -> None:
    PichrApplication(env=eventsourcing_env(database_url, 1)).close()
    with psycopg.connect(database_url) as conn, conn.transaction():
        ensure_keys_table(conn)  # the subject keys: not a projection (docs/privacy.md)
    for projection in all_projections():
        with psycopg.connect(database_url) as conn:
            built_with = ensure_tracking(conn, projection.name, schema_hash(projection))
            if built_with == schema_hash(projection):
                ensure_schema(conn, projection)
                continue
        # The read model's shape changed: rebuild it from the log, then switch.
        log.warning("projection %s changed shape; rebuilding it from the log", projection.name)
        rebuild(database_url, projection, only_if_stale=True)
