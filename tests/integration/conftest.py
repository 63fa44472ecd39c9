"""Fixtures for the integration tests: real PostgreSQL (a fresh database per test), real
`pichr serve` processes (one per module and backend) and the command side of the job tests.

They live here, not in a conftest above tests/unit: the unit tier cannot ask for a service."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator

import pytest

from tests.integration.pg import fresh_database, server_url
from tests.integration.s3server import S3Server, run_s3_server
from tests.integration.server import (
    Account,
    PichrServer,
    ThrowawayPostgres,
    run_server,
    scratch_dir,
)
from tests.integration.workers import CommandSide, command_side


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        for server in PichrServer.live:
            title = f"pichr serve :{server.port} ({server.state()}) stderr"
            report.sections.append((title, server.stderr_tail()))
    return report


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return server_url()


@pytest.fixture
def database_url(pg_admin_url: str) -> Iterator[str]:
    with fresh_database(pg_admin_url) as url:
        yield url


@contextlib.contextmanager
def _served(admin_url: str, backend: str) -> Iterator[PichrServer]:
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(scratch_dir(backend))
        url = stack.enter_context(fresh_database(admin_url))
        s3 = stack.enter_context(run_s3_server()) if backend == "s3" else None
        yield stack.enter_context(run_server(url, data_dir, s3))


@pytest.fixture(scope="module")
def fs_server(pg_admin_url: str) -> Iterator[PichrServer]:
    """A server on a fresh database with filesystem blobs under its data dir."""
    with _served(pg_admin_url, "fs") as server:
        yield server


@pytest.fixture(scope="module", params=["fs", "s3"])
def server(request: pytest.FixtureRequest, pg_admin_url: str) -> Iterator[PichrServer]:
    """The same server on each blob backend: the embedded filesystem and S3 (moto)."""
    with _served(pg_admin_url, request.param) as served:
        yield served


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def stranger(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def fs_owner(fs_server: PichrServer) -> Account:
    return fs_server.new_account()


@pytest.fixture(scope="module")
def fs_stranger(fs_server: PichrServer) -> Account:
    return fs_server.new_account()


@pytest.fixture
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    with scratch_dir("pg") as root:
        pg = ThrowawayPostgres(root)
        try:
            yield pg
        finally:
            if pg.running():
                pg.stop()


@pytest.fixture
def moto() -> Iterator[S3Server]:
    with run_s3_server() as s3:
        yield s3


@pytest.fixture
def pg_served(throwaway_pg: ThrowawayPostgres) -> Iterator[PichrServer]:
    """A server on a PostgreSQL of its own, which the test may stop and start."""
    with scratch_dir("pg-outage") as data_dir, run_server(throwaway_pg.url, data_dir) as served:
        yield served


@pytest.fixture
def s3_served(pg_admin_url: str, moto: S3Server) -> Iterator[PichrServer]:
    """A server on an S3 server of its own, which the test may stop and start."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_database(pg_admin_url))
        data_dir = stack.enter_context(scratch_dir("s3-outage"))
        yield stack.enter_context(run_server(url, data_dir, moto))


@pytest.fixture
def side(database_url: str) -> Iterator[CommandSide]:
    """The command side (event store, filesystem blobs) on a scratch directory: for tests that
    run the job task functions directly."""
    with scratch_dir("side") as data_dir, command_side(database_url, data_dir) as made:
        yield made
