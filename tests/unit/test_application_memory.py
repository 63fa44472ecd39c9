"""The whole command side on the in-memory event store and blob store."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.files.tally import ViewCounter
from pichr.application.identity import Identity
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.application.uploads.guarded import SniffFailedError, TooLargeError
from pichr.domain import ids
from pichr.domain.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    InvalidInputError,
    NotFoundError,
)
from pichr.domain.files import File
from pichr.domain.principal import NOBODY
from tests.support.builders import image_bytes, memory_app, new_owner, upload

P = "pichr.file."


class World:
    def __init__(self) -> None:
        self.app: PichrApplication = memory_app()
        self.blobs = InMemoryBlobStore()
        self.uploads = Uploads(self.app, self.blobs)
        self.files = FileCommands(self.app)
        self.alice = new_owner()

    def all_topics(self, after: int = 0) -> list[str]:
        found = self.app.recorder.select_notifications(start=after + 1, limit=10_000)
        return [n.topic for n in found]

    def topics(self, after: int = 0) -> list[str]:
        """The log without the quota ledgers' bookkeeping."""
        return [t for t in self.all_topics(after) if not t.startswith("pichr.quota.")]

    def file(self, file_id: str) -> File:
        return self.app.load(File, ids.FILE, file_id)


@pytest.fixture
def w() -> World:
    return World()


def test_upload_update_delete_records_each_event_in_order(w: World) -> None:
    data = image_bytes("JPEG", (64, 48))
    done = upload(w.uploads, w.alice, data, title="first")
    assert w.file(done.file_id).status == "ready"
    assert (w.file(done.file_id).title, w.blobs.stat(done.blob_key).size) == ("first", len(data))
    w.files.update(w.alice, done.file_id, {"title": "second", "tags": ["a"]})
    last = w.files.delete(w.alice, done.file_id, None)
    assert w.all_topics() == [
        P + "UploadRequested.v1",
        "pichr.quota.LedgerOpened.v1",  # the presign reserved the bytes on a new ledger
        "pichr.quota.StorageReserved.v1",
        P + "UploadStored.v1",
        P + "UploadFinalized.v1",
        P + "MetadataUpdated.v1",
        P + "FileDeleted.v1",
        "pichr.quota.StorageReleased.v1",  # ... and the delete gave them back
    ]
    assert last == 8
    with pytest.raises(GoneError):
        w.files.update(w.alice, done.file_id, {"title": "third"})
    with pytest.raises(GoneError):
        w.uploads.finalize(w.alice, done.upload_id, done.file_id, None, None)


def test_reloaded_file_has_the_recorded_state(w: World) -> None:
    done = upload(w.uploads, w.alice, image_bytes("PNG", (7, 5)), mime="image/png", expires_in=2)
    w.files.update(w.alice, done.file_id, {"description": "d", "visibility": "private"})
    file = w.file(done.file_id)
    assert (file.description, file.visibility, file.stored["mime"]) == ("d", "private", "image/png")
    assert file.expires_at is not None
    assert file.finalized_at is not None
    assert file.expires_at - file.finalized_at == pytest.approx(
        timedelta(hours=2), abs=timedelta(seconds=5)
    )


def test_finalize_twice_answers_zero_and_records_nothing(w: World) -> None:
    done = upload(w.uploads, w.alice, image_bytes())
    count = len(w.topics())
    assert w.uploads.finalize(w.alice, done.upload_id, done.file_id, None, None) == 0
    assert len(w.topics()) == count


def test_finalize_before_the_bytes_arrive_is_a_conflict(w: World) -> None:
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", 100))
    with pytest.raises(ConflictError):
        w.uploads.finalize(w.alice, p.upload_id, p.file_id, None, None)
    assert w.topics() == [P + "UploadRequested.v1"]


def presigned_store(w: World, data: bytes, body: bytes) -> str:
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(data)))
    w.uploads.store(w.alice, p.file_id, None, io.BytesIO(body))
    return p.file_id


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (image_bytes(seed=1) + b"tail", TooLargeError),
        (image_bytes(seed=1)[:-10], InvalidInputError),
        (b"GIF89a" + b"\0" * (len(image_bytes(seed=1)) - 6), SniffFailedError),
        ((b"plain text, not an image" * 100)[: len(image_bytes(seed=1))], SniffFailedError),
    ],
)
def test_bad_body_leaves_no_blob_and_the_upload_pending(
    w: World, body: bytes, error: type[Exception]
) -> None:
    data = image_bytes(seed=1)
    with pytest.raises(error):
        presigned_store(w, data, body)
    assert list(w.blobs.keys("")) == []
    assert w.topics() == [P + "UploadRequested.v1"]


def test_sha256_mismatch_leaves_no_blob_and_the_upload_pending(w: World) -> None:
    data = image_bytes(seed=2)
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(data), sha256="0" * 64))
    with pytest.raises(InvalidInputError):
        w.uploads.store(w.alice, p.file_id, None, io.BytesIO(data))
    assert list(w.blobs.keys("")) == []
    assert w.file(p.file_id).status == "pending"


def test_storing_twice_is_a_conflict_and_keeps_the_first_bytes(w: World) -> None:
    data = image_bytes(seed=3)
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(data)))
    first = w.uploads.store(w.alice, p.file_id, None, io.BytesIO(data))
    with pytest.raises(ConflictError):
        w.uploads.store(w.alice, p.file_id, None, io.BytesIO(data))
    assert b"".join(w.blobs.read(first.stored_key)) == data
    assert list(w.blobs.keys("")) == [first.stored_key]


def test_undecodable_image_is_rejected_at_finalize_and_its_blob_deleted(w: World) -> None:
    good = image_bytes("JPEG", (256, 256), seed=4)
    broken = good[:200] + bytes(len(good) - 200)  # right magic and size, garbage inside
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(broken)))
    w.uploads.store(w.alice, p.file_id, None, io.BytesIO(broken))
    with pytest.raises(UnsupportedMediaError):
        w.uploads.finalize(w.alice, p.upload_id, p.file_id, None, None)
    assert w.topics()[-1] == P + "UploadRejected.v1"
    assert w.file(p.file_id).status == "rejected"
    assert list(w.blobs.keys("")) == []
    with pytest.raises(ConflictError):
        w.uploads.finalize(w.alice, p.upload_id, p.file_id, None, None)


def test_finalize_checks_key_and_etag_of_the_stored_object(w: World) -> None:
    data = image_bytes(seed=5)
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(data)))
    stored = w.uploads.store(w.alice, p.file_id, None, io.BytesIO(data)).stored_key
    with pytest.raises(InvalidInputError):
        w.uploads.finalize(w.alice, p.upload_id, p.file_id, "uploads/other/key.jpg", None)
    with pytest.raises(ConflictError):
        w.uploads.finalize(w.alice, p.upload_id, p.file_id, p.blob_key, '"not-the-etag"')
    assert stored != p.blob_key  # presign's r2Key names the upload; each PUT writes its own object
    etag = w.blobs.stat(stored).etag
    assert w.uploads.finalize(w.alice, p.upload_id, p.file_id, p.blob_key, f'"{etag}"') > 0


def test_only_the_uploader_may_store_or_change_a_file(w: World) -> None:
    data = image_bytes(seed=6)
    p = w.uploads.presign(w.alice, UploadRequest("a.jpg", "image/jpeg", len(data)))
    mallory = new_owner()
    with pytest.raises(NotFoundError):
        w.uploads.store(mallory, p.file_id, None, io.BytesIO(data))
    with pytest.raises(NotFoundError):
        w.uploads.finalize(mallory, p.upload_id, p.file_id, None, None)
    done = upload(w.uploads, w.alice, image_bytes(seed=7))
    with pytest.raises(ForbiddenError):
        w.files.update(mallory, done.file_id, {"title": "mine now"})
    w.files.update(w.alice, done.file_id, {"visibility": "private"})
    with pytest.raises(NotFoundError):
        w.files.delete(mallory, done.file_id, None)
    assert w.file(done.file_id).title is None


def test_anonymous_upload_needs_its_token_and_deletes_with_its_delete_token(w: World) -> None:
    data = image_bytes(seed=8)
    p = w.uploads.presign(NOBODY, UploadRequest("a.jpg", "image/jpeg", len(data)))
    assert p.upload_token
    assert p.delete_token
    with pytest.raises(NotFoundError):
        w.uploads.store(NOBODY, p.file_id, "wrong-token", io.BytesIO(data))
    w.uploads.store(NOBODY, p.file_id, p.upload_token, io.BytesIO(data))
    w.uploads.finalize(NOBODY, p.upload_id, p.file_id, None, None)
    with pytest.raises(ForbiddenError):
        w.files.delete(NOBODY, p.file_id, "wrong-token")
    w.files.delete(NOBODY, p.file_id, p.delete_token)
    assert w.file(p.file_id).deleted


def test_file_expires_only_when_its_time_has_come(w: World) -> None:
    done = upload(w.uploads, w.alice, image_bytes(seed=9), expires_in=1)
    assert w.files.expire(done.file_id) == 0
    real = w.app.clock
    w.app.clock = lambda: real() + timedelta(hours=1, seconds=1)
    assert w.files.expire(done.file_id) > 0
    assert w.topics()[-1] == P + "FileExpired.v1"
    with pytest.raises(GoneError):
        w.files.update(w.alice, done.file_id, {"title": "late"})


def test_unknown_or_malformed_ids_are_not_found(w: World) -> None:
    for bad in ("file_!!", "usr_abc", ids.to_public(ids.FILE, ids.new_uuid())):
        with pytest.raises(NotFoundError):
            w.files.update(w.alice, bad, {"title": "x"})
    account, _ = Identity(w.app).create_account("operator", "a@b.c", "free")
    as_file = ids.to_public(ids.FILE, ids.to_uuid(ids.ACCOUNT, account.account_id))
    with pytest.raises(NotFoundError):  # a real aggregate, but of another kind
        w.files.update(w.alice, as_file, {"title": "x"})


def test_view_counts_are_recorded_as_one_tally_event(w: World) -> None:
    counter = ViewCounter(w.app)
    assert counter.flush() == 0
    for _ in range(3):
        counter.view("file_a")
    counter.download("file_b")
    position = counter.flush()
    assert position == 1
    assert w.topics() == ["pichr.tally.ViewsTallied.v1"]
    assert counter.flush() == 0


def test_a_change_on_a_loaded_aggregate_that_changed_meanwhile_is_applied_again(w: World) -> None:
    """change(loaded=...) saves the caller's copy when nothing came between, else reloads and
    applies again: no update is lost either way."""
    file_id = upload(w.uploads, w.alice, image_bytes()).file_id
    stale = w.file(file_id)
    version = stale.version
    w.app.change(File, ids.FILE, file_id, lambda f: f.update_metadata(
        actor="a", changes={"title": "first"}, now=w.app.clock()))  # fmt: skip
    applied: list[int] = []

    def describe(f: File) -> None:
        applied.append(f.version)
        f.update_metadata(actor="b", changes={"description": "second"}, now=w.app.clock())

    assert w.app.change(File, ids.FILE, file_id, describe, loaded=stale) > 0
    assert applied == [version, version + 1]  # the stale copy, then a fresh one
    fresh = w.file(file_id)
    assert (fresh.title, fresh.description) == ("first", "second")
    current = w.file(file_id)
    version = current.version
    applied.clear()
    w.app.change(File, ids.FILE, file_id, describe, loaded=current)
    assert applied == [version]  # nothing came between: saved as loaded
