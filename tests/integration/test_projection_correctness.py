"""The read model misses no committed event: under concurrent writers, and across a crash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.identity import Identity
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.projections.log.replay import rebuild
from pichr.projections.log.runner import ProjectionRunner
from pichr.projections.views.file_listing import FileListingProjection
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import (
    BulkHistory,
    all_rows,
    live_checksums,
    make_app,
    max_notification_id,
    positions,
)
from tests.support.builders import new_owner

pytestmark = pytest.mark.integration

WRITERS = 4
FILES_PER_WRITER = 150
PICHR = str(Path(sys.executable).with_name("pichr"))


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def write_files(
    database_url: str, writer: int, written: dict[str, str], errors: list[BaseException]
) -> None:
    try:
        app = make_app(database_url)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)
        return
    try:
        uploads, files, who = Uploads(app, InMemoryBlobStore()), FileCommands(app), new_owner()
        for i in range(FILES_PER_WRITER):
            presigned = uploads.presign(who, UploadRequest("a.jpg", "image/jpeg", 100, title="x"))
            title = f"w{writer}-{i}"
            files.update(who, presigned.file_id, {"title": title, "tags": [str(writer)]})
            written[presigned.file_id] = title
    except BaseException as exc:
        errors.append(exc)
    finally:
        app.close()


def test_projection_following_concurrent_writers_misses_no_committed_event(
    database_url: str,
) -> None:
    ensure_all(database_url)
    runner = ProjectionRunner(database_url, FileListingProjection(), batch=50)
    follower = runner.start_thread()
    written: dict[str, str] = {}
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=write_files, args=(database_url, n, written, errors))
        for n in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    last = max_notification_id(database_url)
    # per file: UploadRequested + StorageReserved (same save) + MetadataUpdated; per writer:
    # the LedgerOpened of its account's storage ledger.
    assert last == 3 * WRITERS * FILES_PER_WRITER + WRITERS
    # Only the follower runs: a skipped event would stay skipped, its position being passed.
    wait_for(lambda: positions(database_url).get("file_listing") == last, 30, "the follower")
    runner.stop()
    follower.join(timeout=10)
    rows = all_rows(database_url)
    assert len(rows) == WRITERS * FILES_PER_WRITER
    assert {row["id"]: row["title"] for row in rows} == written
    assert all(row["tags"] == [row["title"][1]] for row in rows)
    assert positions(database_url)["file_listing"] == max_notification_id(database_url)


FILES = 3000  # x (1 + 3 updates) + tallies: some tenths of a second of work for the projections
KILLS = 3  # each restart resumes mid-stream and is killed again


def write_history(database_url: str) -> BulkHistory:
    app = make_app(database_url)
    history = BulkHistory()
    try:
        identity = Identity(app)
        for n in range(5):
            account, _ = identity.create_account("operator", f"u{n}@example.com", "free")
            identity.create_key("operator", account.account_id, "ci", ["read"], None)
        for _ in range(FILES // 100):
            history.write(app, 100)
    finally:
        app.close()
    return history


def start_projections(database_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PICHR_DATABASE_URL=database_url,
        PICHR_DATA_DIR=str(tmp_path),
        PICHR_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen([PICHR, "projections"], env=env, stderr=subprocess.DEVNULL)


def kill_after_progress(database_url: str, tmp_path: Path, position: int) -> None:
    """Start the process, SIGKILL it a random moment after it moved past `position`."""
    process = start_projections(database_url, tmp_path)
    try:
        wait_for(lambda: positions(database_url).get("file_listing", 0) > position, 60, "progress")
        # Within a batch or two: the runner folds this log in well under a second now, and
        # every kill must still land before it reaches the end.
        time.sleep(random.uniform(0.0, 0.02))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()


def test_projection_process_killed_mid_stream_restarts_to_a_read_model_equal_to_a_rebuild(
    database_url: str, tmp_path: Path
) -> None:
    ensure_all(database_url)
    history = write_history(database_url)
    last = max_notification_id(database_url)
    assert last == 5 * 2 + FILES * 4 + FILES // 100  # accounts, keys, files, tallies
    at_kill = 0
    for _ in range(KILLS):
        kill_after_progress(database_url, tmp_path, at_kill)
        killed_at = positions(database_url)["file_listing"]
        assert at_kill < killed_at < last, "each kill must land while the projection catches up"
        at_kill = killed_at
    process = start_projections(database_url, tmp_path)
    try:
        wait_for(lambda: set(positions(database_url).values()) == {last}, 60, "the restart")
    finally:
        process.terminate()
        process.wait(timeout=10)
    history.check(database_url)  # tallies count twice if a batch was folded twice
    live = live_checksums(database_url)
    for projection in all_projections():
        rebuild(database_url, projection)
    assert live_checksums(database_url) == live
    assert set(positions(database_url).values()) == {last}
