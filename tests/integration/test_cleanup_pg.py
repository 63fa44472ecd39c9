"""The clean-up jobs on the real PostgreSQL and filesystem blobs, with the clock passed in."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pichr.application.analysis.derived import thumbnail_key
from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.cleanup.jobs import Cleanup, abandon_stale, purge_due, sweep_orphans
from pichr.application.files.commands import FileCommands
from pichr.application.files.variants import variant_prefix
from pichr.application.multipart.commands import Multipart, MultipartRequest
from pichr.application.multipart.parts import PartChecksums
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.files import File
from pichr.domain.uploads import MultipartUpload
from pichr.projections.queries.for_commands import FileCandidates
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import catch_up_all, file_row, make_app
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration
HOUR = timedelta(hours=1)
PART = 5 * 1024 * 1024


class World:
    def __init__(self, database_url: str, root: Path) -> None:
        self.url = database_url
        self.app: PichrApplication = make_app(database_url)
        self.blobs = FilesystemBlobStore(root)
        self.uploads = Uploads(self.app, self.blobs)
        self.files = FileCommands(self.app, self.uploads.quotas)
        self.multipart = Multipart(self.app, self.blobs, self.uploads, timedelta(hours=24))
        self.alice = new_owner()
        self.cleanup = Cleanup(
            self.app, self.blobs, self.uploads.quotas, database_url, FileCandidates(database_url)
        )

    def topics(self, file_id: str) -> list[str]:
        file = self.file(file_id)
        events = self.app.repository.event_store.get(file.id)
        return [type(e).__name__ for e in events]

    def file(self, file_id: str) -> File:
        return self.app.load(File, ids.FILE, file_id)

    def presign(self, data: bytes) -> str:
        req = UploadRequest(filename="a.jpg", mime="image/jpeg", bytes=len(data))
        return self.uploads.presign(self.alice, req).file_id

    def used(self) -> int:
        return self.uploads.quotas.ledger(str(self.alice.account_id)).used

    def run(self, job: str, now: datetime) -> object:
        catch_up_all(self.url)  # the jobs pick candidates from the file listing
        found = {"abandon": abandon_stale, "purge": purge_due, "sweep": sweep_orphans}[job]
        return found(self.cleanup, now)


@pytest.fixture
def w(database_url: str, tmp_path: Path) -> Iterator[World]:
    ensure_all(database_url)
    world = World(database_url, tmp_path / "blobs")
    yield world
    world.app.close()


def test_uploads_never_finalized_are_abandoned_after_a_day_and_their_bytes_go(w: World) -> None:
    now = datetime.now(UTC)
    data = image_bytes("JPEG", (40, 30), seed=3)
    never_put = w.presign(data)
    put_only = w.presign(data)
    w.uploads.store(w.alice, put_only, None, io.BytesIO(data))
    req = MultipartRequest(UploadRequest("big.png", "image/png", PART + 10), PART)
    view = w.multipart.init(w.alice, req)
    zeros = io.BytesIO(bytes(PART))
    w.multipart.store_part(w.alice, view.upload.upload_id, 1, zeros, PartChecksums())
    kept = upload(w.uploads, w.alice, data)
    assert w.used() == 3 * len(data) + PART + 10

    assert w.run("abandon", now + 23 * HOUR) == []
    assert sorted(w.blobs.keys()) == sorted([w.file(put_only).stored_key, kept.blob_key])

    stale = {never_put, put_only, view.upload.file_id}
    assert set(w.run("abandon", now + 25 * HOUR)) == stale  # type: ignore[arg-type]
    for file_id in stale:
        assert w.file(file_id).status == "abandoned"
        assert w.topics(file_id)[-2:] == ["UploadAbandoned", "BlobsPurged"]
    assert w.app.load(MultipartUpload, ids.UPLOAD, view.upload.upload_id).status == "aborted"
    assert list(w.blobs.keys()) == [kept.blob_key]
    assert list(w.blobs.multipart_uploads()) == []
    assert w.used() == len(data)  # the abandoned uploads' reservations are released
    assert w.file(kept.file_id).status == "ready"
    assert w.run("abandon", now + 25 * HOUR) == []  # a second run finds nothing to do
    row = file_row(w.url, never_put)
    assert row is not None
    assert (row["status"], row["purged_at"] is not None) == ("abandoned", True)


def test_the_abandon_window_is_configurable(w: World) -> None:
    now = datetime.now(UTC)
    pending = w.presign(b"x" * 10)
    short = Cleanup(
        w.app, w.blobs, w.uploads.quotas, w.url, FileCandidates(w.url), abandon_after=2 * HOUR
    )
    catch_up_all(w.url)
    assert abandon_stale(short, now + HOUR) == []
    assert abandon_stale(short, now + 3 * HOUR) == [pending]


def test_deleted_and_expired_files_lose_their_blobs_after_the_grace_period(w: World) -> None:
    real_now = datetime.now(UTC)
    deleted = upload(w.uploads, w.alice, image_bytes("PNG", seed=1), mime="image/png")
    derived = [f"renditions/{deleted.file_id}.webp", f"thumbnails/{deleted.file_id}.webp"]
    for key in derived:
        w.blobs.put(key, io.BytesIO(b"derived"))
    w.app.change(File, ids.FILE, deleted.file_id, lambda f: f.record_analysis(
        actor="worker", result=analysis(*derived)))  # fmt: skip
    w.files.delete(w.alice, deleted.file_id, None)
    w.app.clock = lambda: real_now - 30 * HOUR  # finalized 30 h ago, expiring after 1 h
    expired = upload(w.uploads, w.alice, image_bytes("PNG", seed=2), mime="image/png", expires_in=1)
    w.app.clock = lambda: real_now
    assert w.files.expire(expired.file_id)
    live = upload(w.uploads, w.alice, image_bytes("PNG", seed=3), mime="image/png")

    assert w.run("purge", real_now) == [expired.file_id]  # expired 29 h ago: past the grace
    assert sorted(w.blobs.keys()) == sorted([deleted.blob_key, *derived, live.blob_key])
    assert w.run("purge", real_now + 25 * HOUR) == [deleted.file_id]
    assert list(w.blobs.keys()) == [live.blob_key]
    purged = w.file(deleted.file_id)
    assert purged.purged
    assert w.topics(deleted.file_id)[-1] == "BlobsPurged"
    assert w.run("purge", real_now + 48 * HOUR) == []
    row = file_row(w.url, deleted.file_id)
    assert row is not None
    assert (row["status"], row["purged_at"] is not None) == ("deleted", True)


def test_orphan_sweep_removes_only_unreferenced_blobs_an_hour_old(w: World) -> None:
    now = datetime.now(UTC)
    live = upload(w.uploads, w.alice, image_bytes("PNG", seed=4), mime="image/png")
    req = MultipartRequest(UploadRequest("big.png", "image/png", PART + 1), PART)
    open_upload = w.multipart.init(w.alice, req).upload
    stray_id = w.blobs.initiate_multipart("uploads/2025-01-01/file_x/stray.png")
    w.blobs.put("uploads/2025-01-01/file_x/stray.png", io.BytesIO(b"no event mentions me"))
    ended = upload(w.uploads, w.alice, image_bytes("PNG", seed=5), mime="image/png")
    w.files.delete(w.alice, ended.file_id, None)
    w.run("purge", now + 25 * HOUR)
    w.blobs.put(ended.blob_key, io.BytesIO(b"left behind"))  # e.g. a late derived write

    young = w.run("sweep", now + HOUR / 2)
    assert (young.deleted, young.aborted) == ([], [])  # type: ignore[attr-defined]
    report = w.run("sweep", now + 2 * HOUR)
    assert sorted(report.deleted) == sorted(  # type: ignore[attr-defined]
        ["uploads/2025-01-01/file_x/stray.png", ended.blob_key]
    )
    assert report.aborted == [stray_id]  # type: ignore[attr-defined]
    assert list(w.blobs.keys()) == [live.blob_key]
    assert [u.upload_id for u in w.blobs.multipart_uploads()] == [open_upload.store_upload_id]
    again = w.run("sweep", now + 2 * HOUR)
    assert (again.deleted, again.aborted) == ([], [])  # type: ignore[attr-defined]


def analysis(rendition: str, thumbnail: str) -> dict[str, object]:
    return {
        "width": 40, "height": 30, "frames": 1, "phash": "0" * 16, "nsfw_score": 0.1,
        "model": "test", "rendition_key": rendition, "rendition_size": 7,
        "rendition_mime": "image/webp", "rendition_sha256": "0" * 64,
        "thumbnail_key": thumbnail, "thumbnail_size": 7, "thumbnail_sha256": "0" * 64,
    }  # fmt: skip


def test_a_file_deleted_mid_upload_has_its_parts_dropped_at_the_purge(w: World) -> None:
    now = datetime.now(UTC)
    req = MultipartRequest(UploadRequest("big.png", "image/png", PART + 1), PART)
    view = w.multipart.init(w.alice, req)
    zeros = io.BytesIO(bytes(PART))
    w.multipart.store_part(w.alice, view.upload.upload_id, 1, zeros, PartChecksums())
    w.files.delete(w.alice, view.upload.file_id, None)
    assert w.run("abandon", now + 25 * HOUR) == []  # deleted, not abandoned
    assert w.run("purge", now + 25 * HOUR) == [view.upload.file_id]
    assert w.app.load(MultipartUpload, ids.UPLOAD, view.upload.upload_id).status == "aborted"
    assert list(w.blobs.multipart_uploads()) == []


def test_variants_go_with_their_file_and_outlive_the_sweep_while_it_lives(w: World) -> None:
    now = datetime.now(UTC)
    files = [
        upload(w.uploads, w.alice, image_bytes("PNG", seed=s), mime="image/png") for s in (6, 7)
    ]
    for made in files:
        thumb, variant = thumbnail_key(made.file_id), f"{variant_prefix(made.file_id)}9x7.webp"
        for key in (thumb, variant):
            w.blobs.put(key, io.BytesIO(b"derived"))
        w.app.change(File, ids.FILE, made.file_id, lambda f, t=thumb: f.record_analysis(
            actor="worker", result=analysis(t, t)))  # fmt: skip
    live, ended = files
    w.files.delete(w.alice, ended.file_id, None)
    assert w.run("purge", now + 25 * HOUR) == [ended.file_id]
    assert list(w.blobs.keys(variant_prefix(ended.file_id))) == []
    kept = [f"{variant_prefix(live.file_id)}9x7.webp"]
    assert list(w.blobs.keys(variant_prefix(live.file_id))) == kept
    late = f"{variant_prefix(ended.file_id)}5x4.webp"  # a render that finished after the purge
    w.blobs.put(late, io.BytesIO(b"late"))

    report = w.run("sweep", now + 2 * HOUR)
    assert report.deleted == [late]  # type: ignore[attr-defined]
    assert list(w.blobs.keys(variant_prefix(live.file_id))) == kept
