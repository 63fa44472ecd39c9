"""Shared pieces of the worker tests: brokers of this machine, a command side on a fresh
database with filesystem blobs, and counts read straight from the event log."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.log import EVENTS_TABLE
from pichr.scripts.compose import task_context
from pichr.workers.context import TaskContext
from tests.integration.helpers import make_app
from tests.support.builders import new_owner, upload

BROKERS = {
    "postgres": "",  # the embedded default: dramatiq-postgres in the event store's database
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
    "redis": "redis://127.0.0.1:6379/0",
}
ANALYZED = "pichr.file.ImageAnalyzed.v1"


def reachable(url: str) -> bool:
    if not url:
        return True
    port = 5672 if url.startswith("amqp") else 6379
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
        return True
    return False


def broker_params() -> list[object]:
    return [
        pytest.param(url, id=name, marks=[pytest.mark.skipif(not reachable(url), reason="down")])
        for name, url in BROKERS.items()
    ]


def job_settings(broker_url: str, data_dir: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "broker_url": broker_url,
        "data_dir": data_dir,
        "worker_threads": 2,
        "job_max_retries": 1,
        "job_min_backoff_ms": 50,
        "job_recovery_seconds": 2.0,
        "job_namespace": "t" + uuid.uuid4().hex[:10],
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class CommandSide:
    database_url: str
    data_dir: Path
    app: PichrApplication
    blobs: FilesystemBlobStore

    def finalized(self, data: bytes, mime: str = "image/jpeg", count: int = 1) -> list[str]:
        uploads, who = Uploads(self.app, self.blobs), new_owner()
        return [upload(uploads, who, data, mime=mime).file_id for _ in range(count)]

    def context(self, settings: Settings) -> TaskContext:
        return task_context(self.app, self.blobs, settings, self.database_url)

    def analyses(self, file_id: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                f"SELECT count(*) FROM {EVENTS_TABLE} WHERE topic = %s AND originator_id = %s",
                (ANALYZED, ids.to_uuid(ids.FILE, file_id)),
            ).fetchone()
        return int(row[0]) if row else 0


@contextlib.contextmanager
def command_side(database_url: str, data_dir: Path) -> Iterator[CommandSide]:
    app = make_app(database_url, pool_size=4)
    try:
        yield CommandSide(database_url, data_dir, app, FilesystemBlobStore(data_dir / "blobs"))
    finally:
        app.close()


def eventually(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)
