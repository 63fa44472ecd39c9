"""Jobs on real brokers (the embedded PostgreSQL one, RabbitMQ, Redis): idempotent analysis,
duplicated messages, dead jobs that stay visible."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq import Broker, MessageProxy
from dramatiq.middleware import Middleware

from pichr.application.analysis.derived import thumbnail_key
from pichr.domain import ids
from pichr.domain.files import File
from pichr.workers import tasks
from pichr.workers.broker import make_broker, send
from pichr.workers.context import install
from pichr.workers.failures import ensure_failures_table, failed_jobs
from pichr.workers.runtime import WorkerRuntime, broker_settings
from tests.integration.server import PICHR
from tests.integration.workers import (
    CommandSide,
    broker_params,
    eventually,
    job_settings,
)
from tests.support.photos import photo_jpeg


def test_analysis_run_twice_records_one_event_and_its_blobs(side: CommandSide) -> None:
    (file_id,) = side.finalized(photo_jpeg((640, 480), seed=1))
    context = side.context(job_settings("", side.data_dir))
    tasks.analyze_image(context, file_id)
    tasks.analyze_image(context, file_id)
    assert side.analyses(file_id) == 1
    analysis = side.app.load(File, ids.FILE, file_id).analysis
    assert analysis["thumbnail_key"] == thumbnail_key(file_id)
    for key in (analysis["rendition_key"], analysis["thumbnail_key"]):
        assert side.blobs.stat(key).size > 0


class Processed(Middleware):
    """Counts messages that ran to the end (success or failure)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def after_process_message(
        self, broker: Broker, message: MessageProxy, *, result: Any = None, exception: Any = None
    ) -> None:
        with self.lock:
            self.count += 1


@pytest.mark.parametrize("broker_url", broker_params())
def test_duplicated_messages_record_the_analysis_once(side: CommandSide, broker_url: str) -> None:
    settings = job_settings(broker_url, side.data_dir)
    (file_id,) = side.finalized(photo_jpeg((640, 480), seed=2))
    ensure_failures_table(side.database_url)
    broker = make_broker(broker_settings(settings, side.database_url))
    processed = Processed()
    broker.add_middleware(processed)
    install(side.context(settings))
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        for _ in range(3):  # the same job delivered three times, two of them at once
            send(broker, "analyze_image", file_id)
        eventually(lambda: processed.count >= 3, what="three deliveries processed")
    finally:
        worker.stop()
        broker.close()
        install(None)
    assert side.analyses(file_id) == 1
    assert failed_jobs(side.database_url) == []


@pytest.mark.parametrize("broker_url", broker_params())
def test_job_that_keeps_failing_ends_dead_and_listed(side: CommandSide, broker_url: str) -> None:
    (file_id,) = side.finalized(photo_jpeg((320, 240), seed=3))
    side.blobs.delete(f"{next(iter(_stored_keys(side)))}")  # the bytes vanish: every run fails
    runtime = WorkerRuntime(side.context(job_settings(broker_url, side.data_dir)))
    runtime.start()
    try:
        eventually(lambda: bool(failed_jobs(side.database_url)), what="a dead job")
    finally:
        runtime.stop()
    (dead,) = failed_jobs(side.database_url)
    # max_retries=1: the first run and one retry failed
    assert (dead["actor"], dead["args"], dead["attempts"]) == ("analyze_image", [file_id], 2)
    assert "BlobNotFoundError" in dead["error"]
    assert side.analyses(file_id) == 0
    if broker_url == "":  # the operator's view of the same: `pichr jobs failed`
        listed = _cli_failed(side.database_url, side.data_dir)
        assert [j["args"] for j in listed["failed"]] == [[file_id]]


def _stored_keys(side: CommandSide) -> list[str]:
    return list(side.blobs.keys("uploads/"))


def _cli_failed(database_url: str, data_dir: Path) -> dict[str, Any]:
    env = {"PICHR_DATABASE_URL": database_url, "PICHR_DATA_DIR": str(data_dir), "PATH": "/usr/bin"}
    done = subprocess.run(
        [PICHR, "jobs", "failed"], env=env, capture_output=True, timeout=60, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result
