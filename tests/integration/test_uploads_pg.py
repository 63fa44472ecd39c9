"""Uploads on the real PostgreSQL and filesystem blob store, read back from the file listing."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.s3 import S3BlobStore
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.application.uploads.guarded import SniffFailedError, TooLargeError
from pichr.domain import ids
from pichr.domain.errors import ConflictError, InvalidInputError
from pichr.domain.files import File
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import all_rows, catch_up_all, file_row, make_app
from tests.integration.s3server import S3Server
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration


@pytest.fixture
def app(database_url: str) -> Iterator[PichrApplication]:
    ensure_all(database_url)
    application = make_app(database_url)
    yield application
    application.close()


@pytest.fixture
def blobs(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def test_uploaded_jpeg_is_listed_ready_with_dimensions_and_sha256(
    database_url: str, app: PichrApplication, blobs: FilesystemBlobStore
) -> None:
    data = image_bytes("JPEG", (320, 200), seed=1)
    who = new_owner()
    sha = hashlib.sha256(data).hexdigest()
    done = upload(Uploads(app, blobs), who, data, sha256=sha.upper(), title="beach")
    catch_up_all(database_url)
    row = file_row(database_url, done.file_id)
    assert row is not None
    assert (row["status"], row["width"], row["height"]) == ("ready", 320, 200)
    assert (row["sha256"], row["bytes"], row["mime"]) == (sha, len(data), "image/jpeg")
    assert (row["owner_id"], row["title"], row["blob_key"]) == (
        who.account_id,
        "beach",
        done.blob_key,
    )
    assert row["finalized_at"] is not None
    assert b"".join(blobs.read(done.blob_key)) == data


def test_reloaded_application_sees_the_same_file(
    database_url: str, app: PichrApplication, blobs: FilesystemBlobStore
) -> None:
    done = upload(Uploads(app, blobs), new_owner(), image_bytes("PNG", (9, 4)), mime="image/png")
    other = make_app(database_url)
    try:
        file = other.load(File, ids.FILE, done.file_id)
    finally:
        other.close()
    assert (file.status, file.stored["mime"]) == ("ready", "image/png")


DATA = image_bytes("JPEG", (64, 64), seed=7)
BAD_BODIES = {
    "sha256 mismatch": (DATA, hashlib.sha256(b"other").hexdigest(), InvalidInputError),
    "longer than declared": (DATA + b"\0" * 300_000, None, TooLargeError),
    "shorter than declared": (DATA[:-100], None, InvalidInputError),
    "not an image": ((b"<html>" * 1000)[: len(DATA)], None, SniffFailedError),
    "png declared as jpeg": (
        image_bytes("PNG", (64, 64))[: len(DATA)].ljust(len(DATA), b"\0"),
        None,
        SniffFailedError,
    ),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_refused_body_leaves_no_blob_and_the_file_pending(
    database_url: str, app: PichrApplication, blobs: FilesystemBlobStore, case: str, tmp_path: Path
) -> None:
    body, sha256, error = BAD_BODIES[case]
    uploads = Uploads(app, blobs)
    who = new_owner()
    presigned = uploads.presign(who, UploadRequest("a.jpg", "image/jpeg", len(DATA), sha256=sha256))
    with pytest.raises(error):
        uploads.store(who, presigned.file_id, None, io.BytesIO(body))
    assert list(blobs.keys("")) == []
    assert [f for f in (tmp_path / "blobs").rglob("*") if f.is_file()] == []  # no temp file either
    assert app.load(File, ids.FILE, presigned.file_id).status == "pending"
    catch_up_all(database_url)
    [row] = all_rows(database_url)
    assert (row["id"], row["status"], row["etag"]) == (presigned.file_id, "pending", None)
    # The same upload still accepts the right bytes afterwards.
    if sha256 is None:
        file = uploads.store(who, presigned.file_id, None, io.BytesIO(DATA))
        assert list(blobs.keys("")) == [file.stored_key]


def test_refused_bodies_leave_no_object_on_s3(app: PichrApplication, moto: S3Server) -> None:
    """The same refusals on S3, where minio is told the declared length and reads exactly
    that much: a short body fails before anything is sent."""
    bucket = f"pichr-test-{uuid.uuid4().hex[:16]}"
    blobs = S3BlobStore(moto.endpoint, bucket, moto.access_key, moto.secret_key)
    uploads, who = Uploads(app, blobs), new_owner()
    for case, (body, sha256, error) in BAD_BODIES.items():
        request = UploadRequest("a.jpg", "image/jpeg", len(DATA), sha256=sha256)
        presigned = uploads.presign(who, request)
        with pytest.raises(error):
            uploads.store(who, presigned.file_id, None, io.BytesIO(body))
        assert list(blobs.keys("")) == [], case
        assert app.load(File, ids.FILE, presigned.file_id).status == "pending", case
    file = uploads.store(who, presigned.file_id, None, io.BytesIO(DATA))  # the right bytes
    assert list(blobs.keys("")) == [file.stored_key]
    assert b"".join(blobs.read(file.stored_key)) == DATA


class BarrierBody:
    """A request body that starts streaming only once every concurrent PUT has begun."""

    def __init__(self, data: bytes, barrier: threading.Barrier) -> None:
        self._data = io.BytesIO(data)
        self._barrier: threading.Barrier | None = barrier

    def read(self, size: int = -1, /) -> bytes:
        if self._barrier is not None:
            self._barrier.wait(timeout=30)
            self._barrier = None
        return self._data.read(size)


def test_two_concurrent_puts_of_one_upload_leave_a_finalizable_file(
    app: PichrApplication, blobs: FilesystemBlobStore
) -> None:
    uploads, who = Uploads(app, blobs), new_owner()
    presigned = uploads.presign(who, UploadRequest("a.jpg", "image/jpeg", len(DATA)))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def put() -> None:
        try:
            uploads.store(who, presigned.file_id, None, BarrierBody(DATA, barrier))
            outcomes.append("stored")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=put) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "stored"]
    assert uploads.finalize(who, presigned.upload_id, presigned.file_id, None, None) > 0
    stored = app.load(File, ids.FILE, presigned.file_id).stored_key
    assert b"".join(blobs.read(stored)) == DATA
    assert list(blobs.keys("")) == [stored]  # the losing attempt removed its own object


def test_one_accounts_concurrent_presigns_take_turns_instead_of_colliding(
    app: PichrApplication, blobs: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each would write the ledger's next version; in one process they queue, so no commit
    fails and is retried, and every reservation lands."""
    uploads, who = Uploads(app, blobs), new_owner()
    failed: list[ConflictError] = []
    commit = app.commit

    def counting_commit(*aggregates: object) -> int:
        try:
            return commit(*aggregates)  # type: ignore[arg-type]
        except ConflictError as exc:
            failed.append(exc)
            raise

    monkeypatch.setattr(app, "commit", counting_commit)
    request = UploadRequest(filename="a.jpg", mime="image/jpeg", bytes=1000)
    start = threading.Barrier(8)

    def client() -> None:
        start.wait()
        for _ in range(4):
            uploads.presign(who, request)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failed == []
    ledger = uploads.quotas.ledger(str(who.account_id))
    assert (ledger.files, ledger.used) == (32, 32_000)
