"""Finalize hands the bytes it verified, and their decode, to an analysis worker of the same
process: the worker reads and decodes nothing again, and records exactly what it records
without the handoff. The direct PUT hands finalize the bytes it stored, so an upload through
one process is never read back from the store."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.uploads.commands import Uploads
from pichr.application.uploads.handoff import Handoff
from pichr.domain import ids
from pichr.domain.files import File
from pichr.workers import tasks
from tests.integration.workers import CommandSide, job_settings
from tests.support.builders import new_owner, upload
from tests.support.photos import photo

pytestmark = pytest.mark.integration


class CountingBlobs(FilesystemBlobStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def read(self, key: str) -> Iterator[bytes]:
        self.reads.append(key)
        return super().read(key)


def turned_jpeg() -> bytes:
    """640x480 as stored, shown 480x640 (EXIF orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    photo((640, 480), 5).save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def recorded(side: CommandSide, file_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(UploadFinalized's width and height, ImageAnalyzed's fields but the file's own keys)."""
    events = list(side.app.repository.event_store.get(ids.to_uuid(ids.FILE, file_id)))
    final = next(e for e in events if type(e).__name__ == "UploadFinalized")
    analyzed = side.app.load(File, ids.FILE, file_id).analysis
    mine = ("rendition_key", "thumbnail_key")
    return (
        {"width": final.width, "height": final.height},  # type: ignore[attr-defined]
        {k: v for k, v in analyzed.items() if k not in mine},
    )


def test_the_worker_takes_the_handed_decode_and_records_the_same(side: CommandSide) -> None:
    data = turned_jpeg()
    blobs = CountingBlobs(side.data_dir / "blobs")
    handoff = Handoff()
    settings = job_settings("", side.data_dir)
    who = new_owner()

    handing = Uploads(side.app, blobs)
    handing.handoff = handoff
    handed = upload(handing, who, data).file_id
    assert len(handoff) == 1
    context = side.context(settings)
    context.blobs, context.handoff = blobs, handoff
    tasks.analyze_image(context, handed)
    assert len(handoff) == 0
    assert blobs.reads == []  # neither finalize nor the worker read the original back

    plain = upload(Uploads(side.app, blobs), who, data).file_id
    assert len(blobs.reads) == 1  # without a handoff finalize reads the blob back
    context = side.context(settings)
    context.blobs = blobs
    tasks.analyze_image(context, plain)
    assert len(blobs.reads) == 2  # and so does the worker

    assert recorded(side, handed) == recorded(side, plain)
    finalized, analysis = recorded(side, handed)
    assert finalized == {"width": 640, "height": 480}  # as stored
    assert (analysis["width"], analysis["height"]) == (480, 640)  # as shown


def test_a_corrupt_upload_is_refused_and_nothing_is_handed(side: CommandSide) -> None:
    whole = turned_jpeg()
    handoff = Handoff()
    uploads = Uploads(side.app, side.blobs)
    uploads.handoff = handoff
    with pytest.raises(Exception, match="decodable"):
        upload(uploads, new_owner(), whole[: len(whole) // 2])
    assert len(handoff) == 0


def test_handoff_is_bounded_in_size_and_age() -> None:
    from pichr.application.imaging.analysis import Deriving  # noqa: PLC0415

    data = turned_jpeg()
    step = Deriving(data)
    one = len(data) + step.frame_bytes
    handoff = Handoff(max_bytes=2 * one + 10, ttl=60)
    for n in range(3):
        handoff.put(f"f{n}", "s", data, step)
    assert len(handoff) == 2
    assert handoff.take("f0", "s") is None  # the oldest went first
    assert handoff.take("f1", "other digest") is None  # the bytes must be the same
    took = handoff.take("f1", "s")
    assert took is not None
    assert took[0] == data
    assert handoff.take("f1", "s") is None  # taken once
    handoff.keep("g", "s", data)  # what a PUT stored: for finalize only
    assert handoff.kept("g", "other digest") is None
    assert handoff.kept("g", "s") == data
    handoff.put("h", "s", data, step)
    assert handoff.kept("h", "s") is None  # a decoded entry is the worker's, not finalize's
    assert handoff.take("h", "s") is not None  # and it stays for the worker
    stale = Handoff(ttl=0.0)
    stale.put("f", "s", data, step)
    assert stale.take("f", "s") is None
