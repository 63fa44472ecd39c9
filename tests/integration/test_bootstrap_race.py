"""Every role creates the schema at start-up (scripts/bootstrap.py). A scale-out deployment
starts `pichr api`, `pichr worker` and `pichr projections` at once on an empty database: each
must come up, none may die on another's half-created tables."""

from __future__ import annotations

import psycopg

from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import run_together

ROLES = 4


def test_roles_starting_at_once_on_an_empty_database_all_come_up(database_url: str) -> None:
    assert run_together(ROLES, lambda: ensure_all(database_url)) == []
    with psycopg.connect(database_url) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM projection_tracking")}
    assert {p.name for p in all_projections()} <= names
