"""`pichr serve` leaves no PostgreSQL of ours behind, `pichr db stop` stops one left running,
and a port in use is an error that names it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.integration.pg import fresh_database
from tests.integration.s3server import free_port
from tests.integration.server import PICHR, scratch_dir

READY_WAIT_S = 120.0
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICHR_")}
    return {**env, "PICHR_DATA_DIR": str(data_dir), "PICHR_LOG_LEVEL": "WARNING", **extra}


def _ours(pgdata: Path) -> list[int]:
    """PostgreSQL processes serving `pgdata`."""
    return [
        proc.pid
        for proc in psutil.process_iter(attrs=["name", "cmdline"])
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or [])
    ]


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_WAIT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"not ready: {proc.poll()}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_the_embedded_postgresql_it_started(sig: signal.Signals) -> None:
    with scratch_dir("hygiene") as data_dir:
        port = free_port()
        log = (data_dir / "serve.log").open("wb")
        proc = subprocess.Popen(
            [PICHR, "serve", "--port", str(port)],
            env=_env(data_dir, PICHR_LOG_LEVEL="INFO"),
            stdout=log,
            stderr=log,
        )
        try:
            _wait_ready(proc, port)
            pgdata = (data_dir / "pg").resolve()
            assert _ours(pgdata), "serve runs the embedded PostgreSQL"
            proc.send_signal(sig)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        lines = (data_dir / "serve.log").read_text().splitlines()
        assert _ours(pgdata) == [], lines[-20:]
        assert not (pgdata / "postmaster.pid").exists()
    # Every line the server wrote (ours, granian's, dramatiq's) is JSON with a ms UTC time.
    entries = [json.loads(line) for line in lines]
    assert {e["logger"] for e in entries} >= {"pichr", "_granian"}
    assert all(STAMP.match(e["time"]) for e in entries), entries


def _cli(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run([PICHR, *args], env=env, capture_output=True, timeout=120, check=False)
    out = done.stdout.decode().strip().splitlines()
    return done.returncode, json.loads(out[-1]) if out else {}, done.stderr.decode()


def test_db_stop_stops_an_embedded_postgresql_left_running() -> None:
    import pgserver  # noqa: PLC0415

    with scratch_dir("db-stop") as data_dir:
        server = pgserver.get_server(data_dir / "pg", cleanup_mode=None)  # left running
        pgdata = server.pgdata
        assert _ours(pgdata)
        env = _env(data_dir)
        assert _cli(env, "db", "status")[1]["running"] is True
        code, stopped, err = _cli(env, "db", "stop")
        assert (code, stopped["stopped"]) == (0, True), err
        assert _ours(pgdata) == []
        assert _cli(env, "db", "status")[1]["running"] is False
        assert _cli(env, "db", "stop")[1]["stopped"] is False


def test_db_stop_refuses_when_a_database_url_is_set(pg_admin_url: str) -> None:
    with scratch_dir("db-url") as data_dir:
        code, answer, _ = _cli(_env(data_dir, PICHR_DATABASE_URL=pg_admin_url), "db", "stop")
    assert code == 2
    assert "PICHR_DATABASE_URL" in answer["message"]


def test_a_port_in_use_is_an_error_naming_it(pg_admin_url: str) -> None:
    with (
        scratch_dir("port") as data_dir,
        fresh_database(pg_admin_url) as url,
        socket.socket() as taken,
    ):
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as granian binds
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(data_dir, PICHR_DATABASE_URL=url)
        code, _, err = _cli(env, "serve", "--port", str(port))
    assert code == 2
    error = json.loads(err.strip().splitlines()[-1])
    assert error["message"] == f"port {port} is in use on 127.0.0.1 (PICHR_PORT)"
    assert "Traceback" not in err
