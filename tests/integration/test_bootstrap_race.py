"""Every role creates the schema at start-up (projections/bootstrap.py). A scale-out deployment
starts `pichr api`, `pichr worker` and `pichr projections` at once on an empty database: each
must come up, none may die on another's half-created tables."""

from __future__ import annotations

import threading

import psycopg

from projections.bootstrap import ensure_all
from projections.registry import all_projections

ROLES = 4


def test_roles_starting_at_once_on_an_empty_database_all_come_up(database_url: str) -> None:
    start = threading.Barrier(ROLES)
    errors: list[BaseException] = []

    def role() -> None:
        start.wait()
        try:
            ensure_all(database_url)
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=role) for _ in range(ROLES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with psycopg.connect(database_url) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM projection_tracking")}
    assert {p.name for p in all_projections()} <= names
