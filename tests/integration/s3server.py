"""A real, separate S3 server for tests, chosen by PICHR_TEST_S3_ENDPOINT:

- unset or `moto`: moto's S3 server in a child process (moto_s3.py), the default;
- `s3rver`: the npm package s3rver in a child process (s3rver.py finds or installs it);
- `host:port` (or `http://host:port`): a server already running there (MinIO, Garage, ...),
  with PICHR_TEST_S3_ACCESS_KEY / PICHR_TEST_S3_SECRET_KEY; the tests cannot stop it, so the
  outage tests skip.

A child process rather than an in-thread server so that stopping it is a genuine outage
(connection refused) and its memory is not counted against ours. Each kind names the S3
operations it lacks; a test that needs one skips with that reason (`require`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

from tests.integration.s3rver import S3RVER_LACKS, s3rver_command

if TYPE_CHECKING:
    from collections.abc import Iterator

ENDPOINT_ENV = "PICHR_TEST_S3_ENDPOINT"
_START_TIMEOUT_S = 30.0
_ROOT = Path(__file__).resolve().parents[2]  # where `tests` imports from


class S3Server:
    kind = "moto"
    access_key = "testing"
    secret_key = "testing"
    lacks: frozenset[str] = frozenset()

    def __init__(self, port: int) -> None:
        self.port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "tests.integration.moto_s3", "127.0.0.1", str(self.port)]

    def start(self) -> None:
        if self._proc is not None:
            return
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  # outlives this call; closed in stop()
        self._proc = subprocess.Popen(
            self.command(), cwd=_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_answering()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        self.stop()

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self._log_tail()}")
            if _answers_http(f"http://{self.endpoint}/"):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not answer within {_START_TIMEOUT_S} s")

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]


class S3rverServer(S3Server):
    """s3rver (npm): its data lives in a directory of its own, so a restart keeps the objects."""

    kind = "s3rver"
    access_key = "S3RVER"
    secret_key = "S3RVER"  # s3rver's fixed test credentials
    lacks = S3RVER_LACKS

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self._data = Path(tempfile.mkdtemp(prefix="pichr-s3rver-"))

    def command(self) -> list[str]:
        return s3rver_command("127.0.0.1", self.port, self._data)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._data, ignore_errors=True)


class ExternalS3Server(S3Server):
    """A server this process did not start: used as it is, never stopped."""

    kind = "external"

    def __init__(self, address: str) -> None:
        host, _, port = address.removeprefix("http://").rstrip("/").rpartition(":")
        super().__init__(int(port))
        self._host = host
        self.access_key = os.environ.get("PICHR_TEST_S3_ACCESS_KEY", "minioadmin")
        self.secret_key = os.environ.get("PICHR_TEST_S3_SECRET_KEY", "minioadmin")
        self.lacks = self.lacks_named()

    @staticmethod
    def lacks_named() -> frozenset[str]:
        return frozenset(os.environ.get("PICHR_TEST_S3_LACKS", "").split(",")) - {""}

    @property
    def endpoint(self) -> str:
        return f"{self._host}:{self.port}"

    def start(self) -> None:
        if not _answers_http(f"http://{self.endpoint}/"):
            raise RuntimeError(f"no S3 server answers on {self.endpoint} ({ENDPOINT_ENV})")

    def stop(self) -> None:
        pytest.skip(f"the S3 server at {self.endpoint} is not ours to stop ({ENDPOINT_ENV})")

    def close(self) -> None:
        return


def require(server: S3Server, *operations: str) -> None:
    """Skip the calling test when `server` lacks one of the S3 `operations`."""
    missing = sorted(set(operations) & server.lacks)
    if missing:
        pytest.skip(f"{server.kind} lacks {', '.join(missing)}")


def require_configured(*operations: str) -> None:
    """`require` for the kind of server PICHR_TEST_S3_ENDPOINT names (for tests that get
    their S3 server through a `pichr serve`)."""
    kind = os.environ.get(ENDPOINT_ENV) or "moto"
    lacks = {"moto": S3Server.lacks, "s3rver": S3rverServer.lacks}.get(kind)
    server = S3Server(0)
    server.kind, server.lacks = kind, ExternalS3Server.lacks_named() if lacks is None else lacks
    require(server, *operations)


def _answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # an S3 error document is still an answer
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_s3_server(kind: str | None = None) -> S3Server:
    """An S3 server, not yet started, of `kind` (default: from PICHR_TEST_S3_ENDPOINT)."""
    kind = kind or os.environ.get(ENDPOINT_ENV) or "moto"
    if kind == "moto":
        return S3Server(free_port())
    if kind == "s3rver":
        return S3rverServer(free_port())
    return ExternalS3Server(kind)


@contextlib.contextmanager
def run_s3_server(kind: str | None = None) -> Iterator[S3Server]:
    server = new_s3_server(kind)
    server.start()
    try:
        yield server
    finally:
        server.close()
