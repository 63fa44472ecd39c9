"""One runner folds all its projections in one transaction per round; a projection that cannot
fold an event stops only itself, and the others keep following the log."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg import Cursor

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.projections.log.events import LoggedEvent
from pichr.projections.log.runner import ProjectionRunner, relaxed
from pichr.projections.views.file_listing import FileListingProjection
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import all_rows, make_app, max_notification_id, positions
from tests.support.builders import new_owner

pytestmark = pytest.mark.integration


class Broken:
    """Folds nothing: raises on every UploadRequested."""

    name = "broken"
    tables: tuple[str, ...] = ()
    topics = ("pichr.file.UploadRequested.v1",)

    def create_sql(self, suffix: str) -> list[str]:
        return []

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        raise ValueError("cannot fold")

    def checksum_sql(self, suffix: str) -> list[str]:
        return []


def presign_files(database_url: str, count: int) -> None:
    app = make_app(database_url)
    try:
        uploads, who = Uploads(app, InMemoryBlobStore()), new_owner()
        for _ in range(count):
            uploads.presign(who, UploadRequest("a.jpg", "image/jpeg", 100))
    finally:
        app.close()


def wait_for_position(database_url: str, name: str, position: int) -> None:
    deadline = time.monotonic() + 20
    while positions(database_url).get(name, 0) < position:
        assert time.monotonic() < deadline, f"{name} did not reach {position}"
        time.sleep(0.01)


def test_a_projection_that_cannot_fold_stops_only_itself(database_url: str) -> None:
    ensure_all(database_url)
    runner = ProjectionRunner(database_url, [Broken(), FileListingProjection()])  # type: ignore[list-item]
    thread = runner.start_thread()
    try:
        presign_files(database_url, 5)
        wait_for_position(database_url, "file_listing", max_notification_id(database_url))
        presign_files(database_url, 5)  # the runner keeps following after the failure
        wait_for_position(database_url, "file_listing", max_notification_id(database_url))
        assert len(all_rows(database_url)) == 10
        assert positions(database_url)["broken"] == 0
    finally:
        runner.stop()
        thread.join(timeout=10)


def test_projections_at_different_positions_fold_together(database_url: str) -> None:
    """A projection added later starts at 0 beside one at the head: each applies only the
    events after its own position, and both end at the head."""
    ensure_all(database_url)
    presign_files(database_url, 3)
    first = ProjectionRunner(database_url, FileListingProjection())
    thread = first.start_thread()
    wait_for_position(database_url, "file_listing", max_notification_id(database_url))
    first.stop()
    thread.join(timeout=10)
    presign_files(database_url, 2)

    class Counting(FileListingProjection):
        name = "file_listing_copy"
        applied: list[int] = []

        def create_sql(self, suffix: str) -> list[str]:
            return []

        def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
            self.applied.extend(e.position for e in events)

    class Listing(FileListingProjection):
        applied: list[int] = []

        def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
            self.applied.extend(e.position for e in events)
            super().apply(cur, events, suffix)

    listing_at = positions(database_url)["file_listing"]
    runner = ProjectionRunner(database_url, [Listing(), Counting()])
    thread = runner.start_thread()
    try:
        head = max_notification_id(database_url)
        wait_for_position(database_url, "file_listing_copy", head)
        wait_for_position(database_url, "file_listing", head)
    finally:
        runner.stop()
        thread.join(timeout=10)
    assert Listing.applied
    assert min(Listing.applied) > listing_at
    assert Counting.applied
    assert min(Counting.applied) <= listing_at  # it started from 0
    assert len(set(Counting.applied)) == len(Counting.applied)  # each event once
    assert len(all_rows(database_url)) == 5


def test_two_runners_of_the_same_projections_never_apply_an_event_twice(database_url: str) -> None:
    """Usage adds each reservation to a running total: an event folded twice would show."""
    ensure_all(database_url)
    runners = [ProjectionRunner(database_url, all_projections(), batch=7) for _ in range(2)]
    threads = [runner.start_thread() for runner in runners]
    try:
        writers = [
            threading.Thread(target=presign_files, args=(database_url, 40)) for _ in range(3)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)
        head = max_notification_id(database_url)
        for projection in all_projections():
            wait_for_position(database_url, projection.name, head)
    finally:
        for runner in runners:
            runner.stop()
        for thread in threads:
            thread.join(timeout=10)
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT storage_bytes, files FROM usage").fetchall()
    assert sorted(rows) == [(4000, 40)] * 3  # per writer's account: 40 files of 100 bytes


def test_rounds_commit_without_waiting_for_the_flush_and_log_commits_still_wait(
    database_url: str,
) -> None:
    """The runner's session commits asynchronously (its rounds are refolded from the log after
    a crash); the event store's sessions keep the server's synchronous commit."""
    with psycopg.connect(database_url) as conn:
        relaxed(conn)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
        conn.rollback()  # a later transaction keeps it: SET was committed, not local
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
    app = make_app(database_url)
    try:
        pool = app.recorder.datastore.pool  # type: ignore[attr-defined]
        with pool.connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone() != ("off",)
    finally:
        app.close()
