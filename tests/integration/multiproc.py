"""The scale-out shape for HTTP tests: `pichr api` with several worker processes behind one
address, a separate `pichr projections` process, and the machine's Redis as the limit store.

Each deployment gets its own database, data dir and Redis key prefix (its keys are deleted
afterwards), so runs never see each other's counters.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx
import psycopg
import redis

from tests.integration.server import PICHR, PichrServer, scratch_dir, server_env
from tests.pg import fresh_database
from tests.s3server import free_port

REDIS_URL = "redis://127.0.0.1:6379/13"  # a db of its own; keys carry a per-run prefix too
STARTED = b"projection runners started"


class ApiServer(PichrServer):
    """`pichr api`: PICHR_API_WORKERS granian worker processes, no projection runners."""

    command: ClassVar[tuple[str, ...]] = ("api",)


class ProjectionsProcess(PichrServer):
    """`pichr projections`: ready once its runners have started."""

    command: ClassVar[tuple[str, ...]] = ("projections",)

    def start(self) -> None:
        self._log = self.stderr_path.open("ab")
        self._proc = subprocess.Popen(
            [PICHR, *self.command], env=self.env, stdout=self._log, stderr=self._log,
            start_new_session=True,
        )  # fmt: skip
        PichrServer.live.add(self)
        deadline = time.monotonic() + 60
        while STARTED not in self.stderr_path.read_bytes():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pichr projections did not start:\n{self.stderr_tail()}")
            time.sleep(0.1)


@contextlib.contextmanager
def scaled_out(admin_url: str, label: str, workers: int = 4, **extra: str) -> Iterator[ApiServer]:
    """A deployment of `workers` API processes on Redis, with its projections process."""
    prefix = f"pichr-test-{uuid.uuid4().hex[:12]}"
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(scratch_dir(label))
        url = stack.enter_context(fresh_database(admin_url))
        stack.callback(delete_redis_keys, prefix)
        env = server_env(
            url, data_dir, PICHR_PORT=str(free_port()), PICHR_API_WORKERS=str(workers),
            PICHR_REDIS_URL=REDIS_URL, PICHR_REDIS_PREFIX=prefix, PICHR_LOG_LEVEL="INFO",
            PICHR_DB_POOL_SIZE="4",  # the shared PostgreSQL has room for 100 connections
        ) | extra  # fmt: skip
        api = ApiServer(env, data_dir, int(env["PICHR_PORT"]))
        api.start()  # first: it creates the read-model tables the projections fill
        stack.callback(api.stop)
        projections = ProjectionsProcess(env, data_dir, 0)
        projections.stderr_path = data_dir / "projections.stderr.log"
        projections.start()
        stack.callback(projections.stop)
        yield api


def delete_redis_keys(prefix: str) -> None:
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def worker_pids(server: PichrServer) -> set[int]:
    """The granian worker processes of a server (children of its process)."""
    proc = server._proc
    assert proc is not None
    out = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout
    return {int(pid) for pid in out.split()}


def fresh_client(server: PichrServer) -> httpx.Client:
    """A client that opens a new connection per request, so requests spread over workers."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=server.base_url, timeout=15.0, limits=limits)


def gets(
    server: PichrServer, count: int, path: str, headers: dict[str, str]
) -> list[httpx.Response]:
    """`count` GETs at once from 16 threads, each on a new connection (spread over workers)."""
    with fresh_client(server) as client, ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: client.get(path, headers=headers), range(count)))


def table_texts(database_url: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Every table of the database (but `exclude`), each row as text: what a grep would see."""
    out: dict[str, str] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        names = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (name,) in names:
            if name in exclude:
                continue
            rows: list[Any] = conn.execute(f'SELECT t::text FROM "{name}" t').fetchall()
            out[name] = "\n".join(str(r[0]) for r in rows)
    return out
