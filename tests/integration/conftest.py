"""Fixtures for the HTTP-level tests: real `pichr serve` processes, one per module and backend."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.integration.server import Account, PichrServer, run_server
from tests.pg import fresh_database
from tests.s3server import run_s3_server


@contextlib.contextmanager
def _served(admin_url: str, factory: pytest.TempPathFactory, backend: str) -> Iterator[PichrServer]:
    data_dir = factory.mktemp(f"pichr-{backend}")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_database(admin_url))
        s3 = stack.enter_context(run_s3_server()) if backend == "s3" else None
        yield stack.enter_context(run_server(url, data_dir, s3))


@pytest.fixture(scope="module")
def fs_server(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PichrServer]:
    """A server on a fresh database with filesystem blobs under its data dir."""
    with _served(pg_admin_url, tmp_path_factory, "fs") as server:
        yield server


@pytest.fixture(scope="module", params=["fs", "s3"])
def server(
    request: pytest.FixtureRequest, pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PichrServer]:
    """The same server on each blob backend: the embedded filesystem and S3 (moto)."""
    with _served(pg_admin_url, tmp_path_factory, request.param) as served:
        yield served


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def stranger(server: PichrServer) -> Account:
    return server.new_account()
