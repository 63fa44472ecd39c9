"""Fixtures for the HTTP-level tests: real `pichr serve` processes, one per module and backend."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server import Account, PichrServer, run_server
from tests.pg import fresh_database
from tests.s3server import run_s3_server


@contextlib.contextmanager
def scratch_dir(label: str) -> Iterator[Path]:
    """A private temp dir: pytest's own basetemp may be pruned by another pytest run meanwhile."""
    path = Path(tempfile.mkdtemp(prefix=f"pichr-{label}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


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


class ThrowawayPostgres:
    """A PostgreSQL of our own (pgserver, on a unix socket) that a test may stop and start."""

    def __init__(self, root: Path) -> None:
        import pgserver  # noqa: PLC0415

        self.server = pgserver.get_server(root / "pg", cleanup_mode=None)
        self.pgdata = self.server.pgdata
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        self.url = str(self.server.get_uri())

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: PLC0415

        pg_ctl(list(args), pgdata=self.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        # The same socket directory as before, so the URL the server was given works again.
        self._pg_ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"
        )

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()


@pytest.fixture
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    with scratch_dir("pg") as root:
        pg = ThrowawayPostgres(root)
        try:
            yield pg
        finally:
            if pg.running():
                pg.stop()
