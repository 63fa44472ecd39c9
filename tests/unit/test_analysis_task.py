"""The analysis task without services: derived blobs durable before the record, the blocklist
asked while the model runs, and a second run that records nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pichr.application.analysis.derived import rendition_key, thumbnail_key
from pichr.application.analysis.screening import AskedAhead
from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.blobs.port import BlobInfo, BlobStoreUnavailableError, Readable
from pichr.application.moderation.blocklist import BlockMatch, Entry, MemoryBlocklist, Screener
from pichr.application.settings import Settings
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.files import File
from pichr.scripts.compose import task_context
from pichr.workers import tasks
from pichr.workers.context import TaskContext
from tests.support.analysis_images import jpeg_with_gps
from tests.support.builders import memory_app, new_owner, upload
from tests.support.photos import photo_jpeg


class DerivedWritesFail(InMemoryBlobStore):
    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        if key.startswith("derived/"):
            raise BlobStoreUnavailableError("disk full")
        return super().put(key, body, length)


def _context(tmp_path: Path, blobs: InMemoryBlobStore, blocklist: MemoryBlocklist) -> TaskContext:
    context = task_context(memory_app(), blobs, Settings(data_dir=tmp_path), "")
    context.extras["screener"] = Screener(blocklist, None)
    return context


def _uploaded(context: TaskContext, seed: int) -> str:
    data = photo_jpeg((640, 480), seed)
    return upload(Uploads(context.app, context.blobs), new_owner(), data).file_id


def _events(context: TaskContext, file_id: str) -> list[str]:
    file = context.app.load(File, ids.FILE, file_id)
    return [type(e).__name__ for e in context.app.repository.event_store.get(file.id)]


def test_analysis_is_not_recorded_when_a_derived_blob_cannot_be_written(tmp_path: Path) -> None:
    context = _context(tmp_path, DerivedWritesFail(), MemoryBlocklist(8))
    file_id = _uploaded(context, 1)
    with pytest.raises(BlobStoreUnavailableError):
        tasks.analyze_image(context, file_id)
    assert "ImageAnalyzed" not in _events(context, file_id)  # redelivery will try again


def test_recorded_analysis_names_blobs_that_hold_the_recorded_bytes(tmp_path: Path) -> None:
    context = _context(tmp_path, InMemoryBlobStore(), MemoryBlocklist(8))
    file_ids = [_uploaded(context, seed) for seed in (1, 2)]
    for _ in range(2):  # a second delivery records nothing new
        tasks.analyze_images(context, file_ids)
    for file_id in file_ids:
        assert _events(context, file_id).count("ImageAnalyzed") == 1
        file = context.app.load(File, ids.FILE, file_id)
        (analyzed,) = (e for e in context.app.repository.event_store.get(file.id)
                       if type(e).__name__ == "ImageAnalyzed")  # fmt: skip
        for blob in ("rendition", "thumbnail"):
            data = b"".join(context.blobs.read(getattr(analyzed, f"{blob}_key")))
            assert len(data) == getattr(analyzed, f"{blob}_size")
            assert hashlib.sha256(data).hexdigest() == getattr(analyzed, f"{blob}_sha256")


def test_an_image_without_metadata_is_served_from_its_original_not_a_copy(
    tmp_path: Path,
) -> None:
    blobs = InMemoryBlobStore()
    context = _context(tmp_path, blobs, MemoryBlocklist(8))
    clean = _uploaded(context, 4)
    tagged = upload(Uploads(context.app, blobs), new_owner(), jpeg_with_gps()).file_id
    tasks.analyze_images(context, [clean, tagged])
    file = context.app.load(File, ids.FILE, clean)
    assert file.analysis["rendition_key"] == file.stored_key  # nothing was stripped
    assert sorted(blobs.keys("derived/")) == sorted(
        [thumbnail_key(clean), thumbnail_key(tagged), rendition_key(tagged)]
    )
    other = context.app.load(File, ids.FILE, tagged)
    assert other.analysis["rendition_key"] == rendition_key(tagged)  # EXIF and GPS gone
    served = b"".join(blobs.read(other.analysis["rendition_key"]))
    assert served != b"".join(blobs.read(other.stored_key))


def test_image_close_to_a_blocked_one_is_blocked_in_the_analysis_save(tmp_path: Path) -> None:
    context = _context(tmp_path, InMemoryBlobStore(), MemoryBlocklist(8))
    banned = _uploaded(context, 3)
    tasks.analyze_image(context, banned)
    phash = context.app.load(File, ids.FILE, banned).analysis["phash"]
    context.extras["screener"] = Screener(MemoryBlocklist(8, [Entry(banned, None, phash)]), None)
    again = _uploaded(context, 3)  # other bytes (a new upload), the same picture
    tasks.analyze_image(context, again)
    file = context.app.load(File, ids.FILE, again)
    assert file.status == "blocked"
    assert _events(context, again)[-2:] == ["ImageAnalyzed", "UploadBlocked"]


class CountingBlocklist(MemoryBlocklist):
    def __init__(self) -> None:
        super().__init__(8, [Entry("file_banned", "ab" * 32, None)])
        self.asked: list[str] = []

    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        self.asked.append(exclude)
        return super().match(sha256, phash, exclude)


def test_answers_asked_ahead_are_used_once_and_other_questions_reach_the_blocklist() -> None:
    blocklist = CountingBlocklist()
    ahead = AskedAhead(blocklist)
    ahead.ask("ab" * 32, None, "file_a")
    found = ahead.match("ab" * 32, None, "file_a")
    assert found is not None
    assert found.file_id == "file_banned"
    assert ahead.match("cd" * 32, None, "file_b") is None
    assert ahead.match("ab" * 32, None, "file_a") is not None  # asked again: a new query
    assert blocklist.asked == ["file_a", "file_b", "file_a"]
