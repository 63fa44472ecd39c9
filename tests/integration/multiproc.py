"""The scale-out shape for HTTP tests: `pichr api` with several worker processes behind one
address, a separate `pichr projections` process, and the machine's Redis as the limit store.

Each deployment gets its own database, data dir and Redis key prefix (its keys are deleted
afterwards), so runs never see each other's counters.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import httpx
import psycopg
import redis
from psycopg import sql

from tests.integration.pg import fresh_database
from tests.integration.s3server import free_port
from tests.integration.server import PICHR, Account, PichrServer, scratch_dir, server_env

REDIS_URL = "redis://127.0.0.1:6379/13"  # a db of its own; keys carry a per-run prefix too


class ApiServer(PichrServer):
    """`pichr api`: PICHR_API_WORKERS granian worker processes, no projection runners."""

    command: ClassVar[tuple[str, ...]] = ("api",)


class RoleProcess(PichrServer):
    """A `pichr` role without an HTTP port; ready once its log shows `ready` (if given)."""

    ready: ClassVar[bytes | None] = None

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        super().__init__(env, data_dir, 0)
        self.stderr_path = data_dir / f"{self.command[0]}.stderr.log"

    def start(self) -> None:
        self._log = self.stderr_path.open("ab")
        self._proc = subprocess.Popen(
            [PICHR, *self.command], env=self.env, stdout=self._log, stderr=self._log,
            start_new_session=True,
        )  # fmt: skip
        PichrServer.live.add(self)
        deadline = time.monotonic() + 60
        while self.ready is not None and self.ready not in self.stderr_path.read_bytes():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pichr {self.command[0]} did not start:\n{self.stderr_tail()}")
            time.sleep(0.1)


class ProjectionsProcess(RoleProcess):
    command: ClassVar[tuple[str, ...]] = ("projections",)
    ready: ClassVar[bytes | None] = b"projection runners started"


class WorkerProcess(RoleProcess):
    """`pichr worker`: the image pipeline behind finalize (jobs wait in PostgreSQL meanwhile)."""

    command: ClassVar[tuple[str, ...]] = ("worker",)


@contextlib.contextmanager
def scaled_out(
    admin_url: str, label: str, workers: int = 4, *, with_worker: bool = False, **extra: str
) -> Iterator[ApiServer]:
    """A deployment of `workers` API processes on Redis, with its projections process (and a
    job worker process when asked)."""
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
        roles: list[RoleProcess] = [ProjectionsProcess(env, data_dir)]
        if with_worker:
            roles.append(WorkerProcess(env, data_dir))
        for role in roles:
            role.start()
            stack.callback(role.stop)
        yield api


class Admin:
    """An enterprise account with an admin key (made with the CLI once) that makes accounts and
    keys through /api/v1/admin: much faster than a CLI process per account."""

    def __init__(self, server: PichrServer) -> None:
        self.server = server
        self.account = server.new_account("read,upload,write,admin", plan="enterprise")

    def new_account(self, plan: str = "free", scopes: str = "read,upload,write") -> Account:
        email = f"{uuid.uuid4().hex[:10]}@test.invalid"
        with self.server.client() as client:
            made = self.post(client, "/api/v1/admin/accounts", {"email": email, "plan": plan})
            key = self.post(
                client, "/api/v1/admin/keys", {"accountId": made["id"], "scopes": scopes.split(",")}
            )
        return Account(account_id=made["id"], key_id=key["id"], api_key=key["apiKey"])

    def post(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(path, json=body, headers=self.account.headers)
        assert answer.status_code in (200, 201), answer.text
        payload: dict[str, Any] = answer.json()
        return payload


class ThrowawayRedis:
    """A redis-server of our own on a free port, which a test may kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self._proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError), redis.Redis(port=self.port) as r:
                if r.ping():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()


def delete_redis_keys(prefix: str) -> None:
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def fresh_client(server: PichrServer) -> httpx.Client:
    """A client that opens a new connection per request, so requests spread over workers."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=server.base_url, timeout=15.0, limits=limits)


def gets(
    server: PichrServer, count: int, path: str, headers: dict[str, str]
) -> list[httpx.Response]:
    """`count` GETs at once from 16 threads, each on a new connection (spread over workers).

    Each thread has its own client: httpcore's pool, shared by threads, can close a connection
    it has just handed to another thread's request (encode/httpcore#1110), which reads as
    `ReadError: Bad file descriptor` in a test that has nothing to do with it."""
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def one(_: int) -> httpx.Response:
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            client = local.client = fresh_client(server)
            with lock:
                clients.append(client)
        return client.get(path, headers=headers)

    try:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in clients:
            client.close()


def table_texts(database_url: str) -> dict[str, str]:
    """Every table of the database, each row as text, with bytea columns decoded as UTF-8
    (the event store's `state`): what a grep of the database would see."""
    out: dict[str, str] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            rows = conn.execute(query).fetchall()
            out[f"{schema}.{table}"] = "\n".join(
                " ".join(_text(value) for value in row) for row in rows
            )
    return out


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
