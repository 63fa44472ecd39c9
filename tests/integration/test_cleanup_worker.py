"""The scheduled clean-up actors, run by a real dramatiq worker (stub broker) on PostgreSQL."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.settings import Settings
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.files import File
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.compose import task_context
from pichr.workers.broker import declare_jobs
from pichr.workers.cleanup import PERIODIC, QUEUE, CleanupScheduler
from pichr.workers.context import install
from tests.integration.helpers import catch_up_all, make_app
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    stub.emit_after("process_boot")
    declare_jobs(stub, "test")
    yield stub
    stub.close()


def test_the_scheduler_enqueues_each_job_once_per_interval(broker: StubBroker) -> None:
    scheduler = CleanupScheduler(broker, interval=600)
    scheduler.enqueue_due(6000.0)
    scheduler.enqueue_due(6599.0)  # the same interval: the same message ids
    scheduler.enqueue_due(6600.0)
    queued = [m for m in broker.queues[f"test.{QUEUE}"].queue]  # noqa: C416 (a Queue, not a list)
    names = [m.actor_name for m in (dramatiq.Message.decode(raw) for raw in queued)]
    ids_ = {dramatiq.Message.decode(raw).message_id for raw in queued}
    assert sorted(set(names)) == sorted(PERIODIC)
    assert len(ids_) == 2 * len(PERIODIC)


def test_the_actors_abandon_purge_and_sweep(
    broker: StubBroker, database_url: str, tmp_path: Path
) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    uploads, who = Uploads(app, blobs), new_owner()
    req = UploadRequest(filename="a.png", mime="image/png", bytes=10)
    pending = uploads.presign(who, req).file_id
    live = upload(uploads, who, image_bytes("PNG", seed=7), mime="image/png")
    blobs.put("uploads/stray/orphan.png", io.BytesIO(b"nobody's"))
    catch_up_all(database_url)
    later = datetime.now(UTC) + timedelta(hours=25)
    app.clock = lambda: later
    install(task_context(app, blobs, Settings(), database_url))
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        CleanupScheduler(broker, interval=600).enqueue_due(time.time())
        broker.join(f"test.{QUEUE}", fail_fast=True)
        worker.join()
    finally:
        worker.stop()
        install(None)
        app.close()
    check = make_app(database_url)
    assert check.load(File, ids.FILE, pending).status == "abandoned"
    check.close()
    assert list(blobs.keys()) == [live.blob_key]
