"""PostgreSQL for tests: the machine's server when reachable, else an embedded pgserver."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """An admin URL of a running PostgreSQL; starts pgserver when none answers."""
    url = os.environ.get("PICHR_TEST_DATABASE_URL", DEFAULT)
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error:
        import pgserver  # noqa: PLC0415

        data = os.path.join(tempfile.gettempdir(), "pichr-test-pg")
        url = str(pgserver.get_server(data, cleanup_mode=None).get_uri())
    return url


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty database for one test (or session); dropped afterwards."""
    name = "pichr_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(admin_url)
    params["dbname"] = name
    try:
        yield make_conninfo(**params)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
