"""The job dispatcher on the real PostgreSQL: each finalized file's job goes out once, and
commits that carry no job do not move (write) the dispatcher's position."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.persistence import StoredEvent

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.store.recorder import NOTICE_MAX_BYTES, may_concern, notice
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.principal import Principal
from pichr.projections.log.reader import ensure_tracking
from pichr.workers.dispatcher import JOB_TOPICS, TRACKING, dispatch_batch
from tests.integration.helpers import make_app
from tests.support.builders import image_bytes, new_owner, upload


class RecordingBroker:
    """Only what the dispatcher asks of a broker: actor queues, and enqueue."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def get_actor(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(queue_name="analysis")

    def enqueue(self, message: Any) -> Any:
        self.sent.append((message.actor_name, tuple(message.args)))
        return message


def _dispatch(conn: psycopg.Connection[Any], broker: RecordingBroker, batch: int = 500) -> None:
    while dispatch_batch(conn, broker, in_transaction=False, batch=batch):  # type: ignore[arg-type]
        pass


def _position(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING,)
    ).fetchone()
    return int(row[0]) if row else -1


def _head(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(notification_id) FROM pichr_events").fetchone()
    return int(row[0]) if row else 0


def _presigned(uploads: Uploads) -> tuple[Principal, str, str]:
    data = image_bytes(seed=9)
    req = UploadRequest(filename="late.jpg", mime="image/jpeg", bytes=len(data))
    who = new_owner()
    made = uploads.presign(who, req)
    uploads.store(who, made.file_id, made.upload_token, io.BytesIO(data))
    return who, made.file_id, made.upload_id


def test_finalized_files_are_enqueued_once_and_other_commits_write_nothing(
    database_url: str,
) -> None:
    app, broker = make_app(database_url), RecordingBroker()
    uploads = Uploads(app, InMemoryBlobStore())
    with psycopg.connect(database_url, autocommit=True) as conn:
        ensure_tracking(conn, TRACKING, "")
        first = [upload(uploads, new_owner(), image_bytes(seed=n)).file_id for n in (1, 2)]
        _dispatch(conn, broker)
        assert broker.sent == [("analyze_images", (first,))]
        assert _position(conn) == _head(conn)
        moved_to = _position(conn)
        who, file_id, upload_id = _presigned(uploads)  # presign and PUT: commits without a job
        _dispatch(conn, broker)
        assert (len(broker.sent), _position(conn)) == (1, moved_to)
        uploads.finalize(who, upload_id, file_id, None, None)
        _dispatch(conn, broker)
        _dispatch(conn, broker)  # nothing left: nothing sent twice
        assert broker.sent[1:] == [("analyze_image", (file_id,))]
        assert _position(conn) == _head(conn)
    app.close()


def test_position_moves_past_a_batch_of_events_without_jobs(database_url: str) -> None:
    app, broker = make_app(database_url), RecordingBroker()
    uploads = Uploads(app, InMemoryBlobStore())
    with psycopg.connect(database_url, autocommit=True) as conn:
        ensure_tracking(conn, TRACKING, "")
        for _ in range(3):
            _presigned(uploads)
        _dispatch(conn, broker, batch=4)  # more than a batch behind: the position catches up
        assert broker.sent == []
        assert _position(conn) == _head(conn)
    app.close()


def test_commit_notices_tell_the_dispatcher_which_carry_jobs(database_url: str) -> None:
    """Each commit's NOTIFY names its topics: the dispatcher looks after a finalize, not after
    a presign or a PUT; a notice naming nothing (another writer's) may concern anyone."""
    app = make_app(database_url)
    uploads = Uploads(app, InMemoryBlobStore())
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {EVENTS_TABLE}")
        who, file_id, upload_id = _presigned(uploads)
        uploads.finalize(who, upload_id, file_id, None, None)
        notes = [n.payload for n in listener.notifies(timeout=1)]
    app.close()
    assert len(notes) == 3  # presign, PUT, finalize
    assert "pichr.file.UploadRequested.v1" in notes[0].split(",")
    assert "pichr.file.UploadFinalized.v1" in notes[2].split(",")
    assert [may_concern(n, JOB_TOPICS) for n in notes] == [False, False, True]
    assert may_concern("", JOB_TOPICS)


def test_a_notice_with_too_many_topics_names_none() -> None:
    many = [
        StoredEvent(uuid4(), 1, f"pichr.test.Topic{n:05d}.v1", b"")
        for n in range(NOTICE_MAX_BYTES // 10)
    ]
    assert notice(many) == ""
    assert notice(many[:2]) == "pichr.test.Topic00000.v1,pichr.test.Topic00001.v1"
