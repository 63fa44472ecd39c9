"""Finalize hands the bytes it verified, and their decode, to an analysis worker of the same
process: the worker reads and decodes nothing again, and records exactly what it records
without the handoff. The direct PUT hands finalize the bytes it stored, so an upload through
one process is never read back from the store. The handoff is a decorator of the blob store
(application/blobs/handoff.py), set up where the worker runs in the same process."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.handoff import HandingOff, keep_with, kept_blob
from pichr.application.blobs.kept import KeptBlobs
from pichr.application.uploads.commands import ORIGINALS, Uploads
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

    def read(self, key: str, *args: Any) -> Iterator[bytes]:
        self.reads.append(key)
        return super().read(key, *args)


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
    handoff = HandingOff(blobs, prefix=ORIGINALS)
    settings = job_settings("", side.data_dir)
    who = new_owner()

    handing = Uploads(side.app, handoff)
    handed = upload(handing, who, data).file_id
    assert len(handoff.kept) == 1
    context = side.context(settings)
    context.blobs = handoff
    tasks.analyze_image(context, handed)
    assert len(handoff.kept) == 0
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
    handoff = HandingOff(side.blobs, prefix=ORIGINALS)
    uploads = Uploads(side.app, handoff)
    with pytest.raises(Exception, match="decodable"):
        upload(uploads, new_owner(), whole[: len(whole) // 2])
    assert len(handoff.kept) == 0


def test_handoff_is_bounded_in_size_and_age(tmp_path: Path) -> None:
    from pichr.application.imaging.analysis import Deriving  # noqa: PLC0415

    data = turned_jpeg()
    step = Deriving(data)
    one = len(data) + step.frame_bytes
    blobs = CountingBlobs(tmp_path / "blobs")
    handoff = HandingOff(blobs, prefix="u/", kept=KeptBlobs(max_bytes=2 * one + 10, ttl=60))
    for n in range(3):
        handoff.put(f"u/f{n}", io.BytesIO(data), len(data))
        keep_with(handoff, f"u/f{n}", data, step, step.frame_bytes)
    assert len(handoff.kept) == 2
    assert kept_blob(handoff, "u/f0", take=True) is None  # the oldest went first
    took = kept_blob(handoff, "u/f1", take=True)
    assert took is not None
    assert (took.data, took.made) == (data, step)
    assert kept_blob(handoff, "u/f1", take=True) is None  # taken once
    assert b"".join(handoff.read("u/f1")) == data  # then read from the store
    assert blobs.reads == ["u/f1"]
    handoff.put("u/g", io.BytesIO(data), len(data))  # what a PUT stored: answered from memory
    kept = kept_blob(handoff, "u/g")
    assert kept is not None
    assert (kept.data, kept.made) == (data, None)
    assert b"".join(handoff.read("u/g", offset=10, length=5)) == data[10:15]
    assert blobs.reads == ["u/f1"]
    handoff.put("derived/h", io.BytesIO(data), len(data))  # not an upload's own bytes
    handoff.put("u/big", io.BytesIO(data), None)  # nor bytes of unknown length
    assert (handoff.kept.get("derived/h"), handoff.kept.get("u/big")) == (None, None)
    handoff.delete("u/g")
    assert handoff.kept.get("u/g") is None
    stale = HandingOff(blobs, prefix="u/", kept=KeptBlobs(ttl=0.0))
    stale.put("u/f", io.BytesIO(data), len(data))
    assert stale.kept.get("u/f") is None
