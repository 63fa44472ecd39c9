"""A real `pichr serve` process for HTTP-level tests, and accounts made with the `pichr` CLI.

The server runs in its own process group so that stopping it also ends granian's worker; its
stderr goes to a file whose tail is shown when it fails to start.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

import httpx
from PIL import Image

from tests.integration.pg import fresh_database
from tests.integration.s3server import S3Server, free_port

PICHR = str(Path(sys.executable).with_name("pichr"))
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Account:
    account_id: str
    key_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


class PichrServer:
    live: ClassVar[set[PichrServer]] = set()  # running servers, whose logs a failing test shows
    command: ClassVar[tuple[str, ...]] = ("serve",)  # the `pichr` role this server runs

    def __init__(self, env: dict[str, str], data_dir: Path, port: int) -> None:
        self.env = env
        self.data_dir = data_dir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.stderr_path = data_dir / "server.stderr.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def blob_root(self) -> Path:
        return self.data_dir / "blobs"

    def start(self) -> None:
        self._log = self.stderr_path.open("ab")
        self._proc = subprocess.Popen(
            [PICHR, *self.command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        PichrServer.live.add(self)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"pichr serve exited early:\n{self.stderr_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"pichr serve was not ready in {START_TIMEOUT_S} s:\n{self.stderr_tail()}"
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        PichrServer.live.discard(self)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group: granian and its worker
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def state(self) -> str:
        code = self._proc.poll() if self._proc is not None else None
        return "running" if self._proc is not None and code is None else f"exited, code {code}"

    def stderr_tail(self, chars: int = 4000) -> str:
        if not self.stderr_path.exists():
            return ""
        return self.stderr_path.read_text(errors="replace")[-chars:]

    def cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [PICHR, *args], env=self.env, capture_output=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"pichr {' '.join(args)} failed: {done.stdout!r} {done.stderr!r}")
        payload: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return payload

    def new_account(
        self, scopes: str = "read,upload,write", plan: str = "free", *, adult: bool = False
    ) -> Account:
        """`adult`: the account lets its keys turn safe mode off (set before the key exists, so
        the key's first use already sees it)."""
        email = f"{uuid.uuid4().hex[:10]}@test.invalid"
        account = self.cli("accounts", "create", "--email", email, "--plan", plan)
        if adult:
            self.cli("accounts", "set-safe-mode", account["id"], "optional")
        key = self.cli("keys", "create", "--account", account["id"], "--scopes", scopes)
        return Account(account_id=account["id"], key_id=key["id"], api_key=key["apiKey"])

    def client(self, timeout: float = 15.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)


def server_env(
    database_url: str, data_dir: Path, s3: S3Server | None = None, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICHR_")}
    env.update(
        PICHR_DATABASE_URL=database_url,
        PICHR_DATA_DIR=str(data_dir),
        PICHR_TALLY_FLUSH_SECONDS="0.2",
        PICHR_KEY_USAGE_FLUSH_SECONDS="1",  # the tests read last use back within seconds
        PICHR_LOG_LEVEL="WARNING",
        PYTHONFAULTHANDLER="1",
    )
    if s3 is not None:
        env.update(
            PICHR_S3_ENDPOINT=s3.endpoint,
            PICHR_S3_ACCESS_KEY=s3.access_key,
            PICHR_S3_SECRET_KEY=s3.secret_key,
            PICHR_S3_BUCKET="pichr-" + uuid.uuid4().hex[:8],
        )
    env.update(extra)
    return env


@contextlib.contextmanager
def run_server(
    database_url: str, data_dir: Path, s3: S3Server | None = None, **extra: str
) -> Iterator[PichrServer]:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(database_url, data_dir, s3, PICHR_PORT=str(port), **extra)
    server = PichrServer(env, data_dir, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def fresh_server(admin_url: str, label: str, **extra: str) -> Iterator[PichrServer]:
    """A `pichr serve` of its own: a fresh database, a scratch data dir, `extra` settings."""
    with (
        scratch_dir(label) as data_dir,
        fresh_database(admin_url) as url,
        run_server(url, data_dir, **extra) as server,
    ):
        yield server


@contextlib.contextmanager
def scratch_dir(label: str) -> Iterator[Path]:
    """A private temp dir: pytest's own basetemp may be pruned by another pytest run meanwhile."""
    path = Path(tempfile.mkdtemp(prefix=f"pichr-{label}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


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


def image(fmt: str = "PNG", size: tuple[int, int] = (40, 30), seed: int = 0) -> bytes:
    """A real, decodable image; `seed` varies the colour and so the bytes."""
    buf = io.BytesIO()
    Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, 200)).save(buf, fmt)
    return buf.getvalue()


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The status, and the one error body every failure uses; returns its details."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "message", "details"}, body
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    details: dict[str, Any] = body["details"]
    return details


def field_names(details: dict[str, Any]) -> set[str]:
    """Fields a 400 blames, whether it lists them (validation) or names one (domain)."""
    names = {str(f.get("field")) for f in details.get("fields", [])}
    if "field" in details:
        names.add(str(details["field"]))
    return names


@dataclass(frozen=True)
class Upload:
    file_id: str
    upload_id: str
    upload_url: str
    data: bytes
    presign: dict[str, Any]


def presign(
    client: httpx.Client, who: Account | None, data: bytes, mime: str = "image/png", **fields: Any
) -> Upload:
    body = {"filename": "picture.png", "mime": mime, "bytes": len(data), **fields}
    response = client.post("/api/v1/upload/presign", json=body, headers=_auth(who))
    assert response.status_code == 200, response.text
    made = response.json()
    return Upload(made["fileId"], made["uploadId"], made["uploadUrl"], data, made)


def put_bytes(
    client: httpx.Client,
    who: Account | None,
    upload: Upload,
    body: bytes | None = None,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    headers = {**_auth(who), "Content-Type": content_type}
    return client.put(
        upload.upload_url, content=upload.data if body is None else body, headers=headers
    )


def finalize(
    client: httpx.Client, who: Account | None, upload: Upload, **extra: Any
) -> httpx.Response:
    body = {"uploadId": upload.upload_id, "fileId": upload.file_id, **extra}
    return client.post("/api/v1/upload/finalize", json=body, headers=_auth(who))


def upload(
    client: httpx.Client, who: Account | None, data: bytes, mime: str = "image/png", **fields: Any
) -> Upload:
    """presign, PUT and finalize; each step must succeed."""
    made = presign(client, who, data, mime, **fields)
    stored = put_bytes(client, who, made)
    assert stored.status_code == 200, stored.text
    done = finalize(client, who, made)
    assert done.status_code == 200, done.text
    return made


def _auth(who: Account | None) -> dict[str, str]:
    return who.headers if who is not None else {}
