"""Shared pieces of the benchmarks: a scratch database, a server subprocess, keys, uploads, wrk."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ADMIN_URL = os.environ.get("PICHR_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PICHR = [sys.executable, "-c", "from pichr.scripts.cli import main; main()"]


@contextmanager
def scratch_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new database `pichr_bench_<random>` on the machine's PostgreSQL; dropped afterwards."""
    name = "pichr_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(admin_url) | {"dbname": name}
    try:
        yield make_conninfo(**params)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_HIGH = {"callsPerHour": 1_000_000_000, "uploadsPerHour": 1_000_000_000}
BENCH_PLANS = json.dumps(dict.fromkeys(("anonymous", "free", "pro", "enterprise"), _HIGH))


def server_env(database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    return os.environ | {
        "PICHR_DATABASE_URL": database_url, "PICHR_DATA_DIR": str(data_dir),
        "PICHR_HOST": "127.0.0.1", "PICHR_PORT": str(port), "PICHR_LOG_LEVEL": "WARNING",
        # Limits stay on (their cost is part of every request) but never refuse a benchmark.
        "PICHR_PLANS": BENCH_PLANS,
    } | extra  # fmt: skip


class Server:
    """A server subprocess (by default `pichr serve`); its output goes to a temporary file."""

    def __init__(self, env: Mapping[str, str], argv: list[str] | None = None) -> None:
        self.env = dict(env)
        self.base = f"http://127.0.0.1:{self.env['PICHR_PORT']}"
        self.argv = argv or [*PICHR, "serve"]
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  # closed in stop()
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.tail()}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.tail()}")

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@contextmanager
def running(env: Mapping[str, str], argv: list[str] | None = None) -> Iterator[Server]:
    server = Server(env, argv)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def cli(env: Mapping[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([*PICHR, *args], env=dict(env), capture_output=True, check=True, text=True)
    payload: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return payload


def make_key(env: Mapping[str, str], plan: str = "enterprise") -> str:
    """A fresh account and an API key (read, upload, write); returns the key's plaintext. The
    account may turn safe mode off: a synthetic image the NSFW model happens to flag must not
    turn a measured route into a 403 (the benches send X-Safe-Mode: off)."""
    account = cli(env, "accounts", "create", "--email", f"bench-{uuid.uuid4().hex[:8]}@example.com",
                  "--plan", plan)  # fmt: skip
    cli(env, "accounts", "set-safe-mode", account["id"], "optional")
    key = cli(env, "keys", "create", "--account", account["id"], "--scopes", "read,upload,write")
    return str(key["apiKey"])


def small_jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image  # noqa: PLC0415

    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def presign(client: httpx.Client, name: str, mime: str, size: int) -> dict[str, Any]:
    r = client.post("/api/v1/upload/presign", json={"filename": name, "mime": mime, "bytes": size})
    r.raise_for_status()
    made: dict[str, Any] = r.json()
    return made


def upload(client: httpx.Client, data: bytes, name: str) -> str:
    """presign -> PUT -> finalize; returns the file id."""
    made = presign(client, name, "image/jpeg", len(data))
    client.put(made["uploadUrl"], content=data).raise_for_status()
    body = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
    client.post("/api/v1/upload/finalize", json=body).raise_for_status()
    return str(made["fileId"])


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get update && apt-get install -y wrk")


def wrk(url: str, *, headers: Mapping[str, str] | None = None, threads: int = 2,
        connections: int = 64, duration: float = 10.0) -> float:  # fmt: skip
    """Requests per second; exits when any response was not 2xx/3xx (a broken run is no figure)."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, check=True, text=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        sys.exit(f"wrk saw error responses from {url}:\n{out}")
    if "Socket errors" in out:
        print(f"  note: {url}: {out[out.index('Socket errors') :].splitlines()[0]}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        sys.exit(f"cannot parse wrk output:\n{out}")
    return float(found.group(1))


def wrk_script(base: str, script: str, *, threads: int = 2, connections: int = 64,
               duration: float = 10.0) -> float:  # fmt: skip
    """Requests per second of a wrk Lua script (it builds every request) against `base`."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "-s", script, base]
    out = subprocess.run(argv, capture_output=True, check=True, text=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        sys.exit(f"wrk saw error responses from {base} ({script}):\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        sys.exit(f"cannot parse wrk output:\n{out}")
    return float(found.group(1))


def interleaved(rounds: int, measures: Mapping[str, Callable[[], float]]) -> dict[str, float]:
    """Run every measure once per round, in turn; the median of each."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for i in range(rounds):
        for name, measure in measures.items():
            samples[name].append(measure())
            print(f"  round {i + 1}/{rounds} {name}: {samples[name][-1]:,.0f}", flush=True)
    return {name: statistics.median(values) for name, values in samples.items()}
