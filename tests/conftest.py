"""Shared fixtures: real PostgreSQL (fresh database per test) and the real S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import fresh_database, server_url


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return server_url()


@pytest.fixture
def database_url(pg_admin_url: str) -> Iterator[str]:
    with fresh_database(pg_admin_url) as url:
        yield url
