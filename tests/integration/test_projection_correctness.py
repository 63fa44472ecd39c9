"""The read model misses no committed event: under concurrent writers, and across a crash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.blob_memory import InMemoryBlobStore
from application.files import FileCommands
from application.identity import Identity
from application.uploads import UploadRequest, Uploads
from domain import ids
from domain.files import File
from projections.bootstrap import ensure_all
from projections.file_listing import FileListingProjection
from projections.registry import all_projections
from projections.replay import rebuild
from projections.runner import ProjectionRunner
from tests.integration.helpers import (
    all_rows,
    live_checksums,
    make_app,
    max_notification_id,
    owner,
    positions,
)

pytestmark = pytest.mark.integration

WRITERS = 4
FILES_PER_WRITER = 150
PICHR = str(Path(sys.executable).with_name("pichr"))


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def write_files(database_url: str, writer: int, written: dict[str, str],
                errors: list[BaseException]) -> None:  # fmt: skip
    try:
        app = make_app(database_url)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)
        return
    try:
        uploads, files, who = Uploads(app, InMemoryBlobStore()), FileCommands(app), owner()
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
    assert last == 2 * WRITERS * FILES_PER_WRITER
    # Only the follower runs: a skipped event would stay skipped, its position being passed.
    wait_for(lambda: positions(database_url).get("file_listing") == last, 30, "the follower")
    runner.stop()
    follower.join(timeout=10)
    rows = all_rows(database_url)
    assert len(rows) == WRITERS * FILES_PER_WRITER
    assert {row["id"]: row["title"] for row in rows} == written
    assert all(row["tags"] == [row["title"][1]] for row in rows)
    assert positions(database_url)["file_listing"] == max_notification_id(database_url)


FILES = 2000
UPDATES = 3  # 2000 files x (1 + 3) events: about a second of work for the projection process


def write_history(database_url: str) -> dict[str, str]:
    """Many events quickly: many aggregates per save (the batched write path)."""
    app = make_app(database_url)
    now = datetime.now(UTC)
    titles: dict[str, str] = {}
    try:
        identity = Identity(app)
        for n in range(5):
            account, _ = identity.create_account("operator", f"u{n}@example.com", "free")
            identity.create_key("operator", account.account_id, "ci", ["read"], None)
        for _ in range(FILES // 100):
            batch = [new_file(titles, now) for _ in range(100)]
            app.commit(*batch)
    finally:
        app.close()
    return titles


def new_file(titles: dict[str, str], now: datetime) -> File:
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    file = File(
        file_id=file_id, actor="key_a", owner_id="usr_a", upload_id="upl_a", filename="a.jpg",
        mime="image/jpeg", declared_bytes=10, sha256=None, title=None, description=None,
        visibility="public", tags=[], expires_in=None, blob_key=f"uploads/{file_id}/a.jpg",
        upload_token_digest=None, delete_token_digest=None,
    )  # fmt: skip
    for n in range(UPDATES):
        file.update_metadata(actor="key_a", changes={"title": f"{file_id}-{n}"}, now=now)
    titles[file_id] = f"{file_id}-{UPDATES - 1}"
    return file


def start_projections(database_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PICHR_DATABASE_URL=database_url, PICHR_DATA_DIR=str(tmp_path),
               PICHR_LOG_LEVEL="WARNING")  # fmt: skip
    return subprocess.Popen([PICHR, "projections"], env=env, stderr=subprocess.DEVNULL)


def test_projection_process_killed_mid_stream_restarts_to_a_read_model_equal_to_a_rebuild(
    database_url: str, tmp_path: Path
) -> None:
    ensure_all(database_url)
    titles = write_history(database_url)
    last = max_notification_id(database_url)
    assert last == 5 * 2 + FILES * (1 + UPDATES)
    process = start_projections(database_url, tmp_path)
    try:
        wait_for(lambda: positions(database_url).get("file_listing", 0) > 0, 60, "first batch")
        time.sleep(random.uniform(0.0, 0.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    at_kill = positions(database_url)["file_listing"]
    assert 0 < at_kill < last, "the kill must land while the projection is catching up"
    process = start_projections(database_url, tmp_path)
    try:
        wait_for(lambda: set(positions(database_url).values()) == {last}, 60, "the restart")
    finally:
        process.terminate()
        process.wait(timeout=10)
    rows = all_rows(database_url)
    assert {row["id"]: row["title"] for row in rows} == titles
    live = live_checksums(database_url)
    for projection in all_projections():
        rebuild(database_url, projection)
    assert live_checksums(database_url) == live
    assert set(positions(database_url).values()) == {last}
