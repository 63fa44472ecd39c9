"""The event store's contract: the in-memory store the unit tier runs on and PostgreSQL with our
recorder (application/store/recorder.py) keep the same log, so the events a unit test folds
(tests/support/log.py) are the events a projection reads from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.errors import ConflictError
from pichr.domain.files import File
from pichr.domain.tallies import ViewTally
from pichr.projections.log.events import LoggedEvent
from pichr.projections.log.reader import read_after
from tests.integration.helpers import make_app
from tests.support.aggregates import NOW, analysis, ready_file
from tests.support.builders import memory_app
from tests.support.log import EventLog

pytestmark = pytest.mark.integration
FILE_ID = ids.to_public(ids.FILE, ids.new_uuid())


@pytest.fixture(params=["memory", "postgres"])
def app(request: pytest.FixtureRequest) -> Iterator[PichrApplication]:
    if request.param == "memory":
        made = memory_app()
    else:
        made = make_app(request.getfixturevalue("database_url"))
    yield made
    made.close()


def history(app: PichrApplication) -> None:
    """The same commits, whichever store: a file's upload, analysis and edit, and a tally."""
    file = ready_file(file_id=FILE_ID, upload_id="upl_same", blob_key="uploads/same.png")
    file.record_analysis(actor="worker", result=analysis())
    app.commit(file)
    file.update_metadata(actor="k", changes={"title": "renamed"}, now=NOW)
    app.commit(file, ViewTally(views={FILE_ID: 2}, downloads={}))


def comparable(events: list[LoggedEvent]) -> list[tuple[Any, ...]]:
    """All of an event but its timestamp (the clock's), which must still be a timestamp."""
    assert all(datetime.fromisoformat(e.timestamp).tzinfo for e in events)
    return [
        (e.position, e.originator_id if e.topic.startswith("pichr.file.") else None, e.version,
         e.topic, {k: v for k, v in e.data.items() if k != "timestamp"})
        for e in events
    ]  # fmt: skip


def test_the_memory_log_holds_what_a_projection_reads_from_postgresql(database_url: str) -> None:
    memory, postgres = memory_app(), make_app(database_url)
    try:
        history(memory)
        history(postgres)
        with psycopg.connect(database_url) as conn:
            read = read_after(conn.cursor(), 0, 100)
        assert comparable(EventLog(memory).new()) == comparable(read)
        assert comparable(EventLog(postgres).new()) == comparable(read)
    finally:
        memory.close()
        postgres.close()


def test_positions_count_from_one_and_a_commit_returns_its_last(app: PichrApplication) -> None:
    file = ready_file()
    assert app.commit(file) == 3  # requested, stored, finalized
    assert app.commit(ViewTally(views={}, downloads={})) == 4
    assert [e.position for e in EventLog(app).new()] == [1, 2, 3, 4]


def test_a_save_of_a_stale_aggregate_is_a_conflict(app: PichrApplication) -> None:
    file = ready_file()
    app.commit(file)
    one, two = (app.load(File, ids.FILE, file.file_id) for _ in range(2))
    for copy, title in ((one, "first"), (two, "second")):
        copy.update_metadata(actor="k", changes={"title": title}, now=NOW)
    app.commit(one)
    with pytest.raises(ConflictError):
        app.commit(two)
    assert app.load(File, ids.FILE, file.file_id).title == "first"
