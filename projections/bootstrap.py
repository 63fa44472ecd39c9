"""Create the event store's and every read model's tables (idempotent; every role runs it)."""

from __future__ import annotations

import psycopg

from application.app import PichrApplication
from application.database import eventsourcing_env
from projections.registry import all_projections
from projections.runner import ensure_schema


def ensure_all(database_url: str) -> None:
    PichrApplication(env=eventsourcing_env(database_url, 1)).close()
    with psycopg.connect(database_url) as conn:
        for projection in all_projections():
            ensure_schema(conn, projection)
