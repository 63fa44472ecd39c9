"""What the application asks the aggregates before it does I/O: the same answers their
commands give (the guards live only there), without recording anything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pichr.domain.errors import ConflictError, GoneError
from pichr.domain.files import File
from pichr.domain.uploads import MultipartUpload

SHA = "ab" * 32
RESULT = {
    "width": 4, "height": 3, "frames": 1, "phash": "0" * 16, "nsfw_score": 0.1, "model": "m",
    "rendition_key": "r", "rendition_size": 1, "rendition_mime": "image/jpeg",
    "rendition_sha256": SHA, "thumbnail_key": "t", "thumbnail_size": 1, "thumbnail_sha256": SHA,
}  # fmt: skip


def requested() -> File:
    return File(
        file_id="file_a", actor="key_a", owner_id="usr_a", upload_id="upl_a", filename="a.jpg",
        mime="image/jpeg", declared_bytes=10, sha256=None, title=None, description=None,
        visibility="public", tags=[], expires_in=None, blob_key="uploads/a.jpg",
        upload_token_digest=None, delete_token_digest=None,
    )  # fmt: skip


def stored() -> File:
    file = requested()
    file.record_stored(actor="key_a", key="uploads/a", size=10, sha256=SHA, mime="image/jpeg",
                       etag="e1")  # fmt: skip
    return file


def ready() -> File:
    file = stored()
    file.finalize(actor="key_a", width=4, height=3, now=datetime(2026, 1, 1, tzinfo=UTC))
    return file


def test_bytes_may_be_stored_once_and_never_for_an_ended_file() -> None:
    requested().ensure_storable()
    with pytest.raises(ConflictError, match="already uploaded"):
        stored().ensure_storable()
    gone = requested()
    gone.delete(actor="key_a")
    with pytest.raises(GoneError):
        gone.ensure_storable()


def test_finalizable_answers_as_finalize_does() -> None:
    assert stored().finalizable()
    assert not ready().finalizable()  # finalize twice: nothing more to record
    with pytest.raises(ConflictError, match="before finalizing"):
        requested().finalizable()
    rejected = stored()
    rejected.reject(actor="key_a", reason="not an image")
    with pytest.raises(ConflictError) as refused:
        rejected.finalizable()
    assert refused.value.details == {"status": "rejected"}
    assert rejected.collect_events()[-1].__class__.__name__ == "UploadRejected"


def test_a_file_awaits_its_analysis_until_recorded_then_may_be_reanalyzed() -> None:
    assert not stored().awaits_analysis
    file = ready()
    assert (file.awaits_analysis, file.reanalyzable) == (True, False)
    assert file.record_analysis(actor="system:analysis", result=RESULT)
    assert (file.awaits_analysis, file.reanalyzable) == (False, True)
    file.delete(actor="key_a")
    assert (file.ended, file.awaits_analysis, file.reanalyzable) == (True, False, False)


def multipart() -> MultipartUpload:
    return MultipartUpload(
        upload_id="upl_a", file_id="file_a", actor="key_a", owner_id="usr_a", key="uploads/a",
        store_upload_id="s", total_bytes=10, part_size=10,
    )  # fmt: skip


def test_a_multipart_upload_completes_or_aborts_once() -> None:
    upload = multipart()
    assert (upload.completable(), upload.abortable()) == (True, True)
    upload.complete(actor="key_a", etag="e", size=10, sha256=SHA)
    assert not upload.completable()  # complete twice: the same answer
    with pytest.raises(ConflictError, match="already complete"):
        upload.abortable()
    aborted = multipart()
    assert aborted.abort(actor="key_a", reason="r")
    assert not aborted.abortable()
    assert not aborted.abort(actor="key_a", reason="r")
    with pytest.raises(ConflictError, match="aborted"):
        aborted.completable()
