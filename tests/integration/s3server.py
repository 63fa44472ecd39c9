"""A real, separate S3 server for tests: moto's S3 server in a child process (moto_s3.py).

A child process rather than moto's in-thread server so that stopping it is a genuine outage
(connection refused) and its memory is not counted against ours.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_START_TIMEOUT_S = 30.0


class S3Server:
    access_key = "testing"
    secret_key = "testing"

    def __init__(self, port: int) -> None:
        self.port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if self._proc is not None:
            return
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  # outlives this call; closed in stop()
        cmd = [sys.executable, "-m", "tests.integration.moto_s3", "127.0.0.1", str(self.port)]
        root = Path(__file__).resolve().parents[2]  # where `tests` imports from
        self._proc = subprocess.Popen(cmd, cwd=root, stdout=self._log, stderr=subprocess.STDOUT)
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

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited early:\n{self._log_tail()}")
            if _answers_http(f"http://{self.endpoint}/"):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer within {_START_TIMEOUT_S} s")

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]


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


@contextlib.contextmanager
def run_s3_server() -> Iterator[S3Server]:
    server = S3Server(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
