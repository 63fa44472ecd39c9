"""The file listing's fold of a file's end, its moderation and its stored bytes, in memory:
real events, as the log holds them, into the row `GET /files` shows (the rest of its fold:
test_file_listing_folds.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pichr.domain.files import File
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.file_listing import fold_events
from tests.support.aggregates import NOW, SHA256, ready_file, requested_file
from tests.support.log import EventLog

Row = dict[str, Any]


def folded(events: list[LoggedEvent], rows: dict[str, Row] | None = None) -> dict[str, Row]:
    rows = {} if rows is None else rows
    fold_events(rows, events)
    return rows


Change = Callable[[File], object]
REPORT = {"actor": "mod", "report_id": "rep_1", "reason": "looked"}


def _restored(file: File) -> None:
    file.quarantine(**REPORT)
    file.restore(**REPORT)


def _purged(file: File) -> None:
    file.delete(actor="key_owner")
    file.purge_blobs(actor="cleanup", keys=[file.blob_key])


def _blocked(file: File) -> None:
    file.block(actor="w", matched_file_id="file_x", report_id=None, kind="exact", distance=0)


@pytest.mark.parametrize(
    ("change", "status", "column"),
    [
        (lambda f: f.delete(actor="key_owner"), "deleted", "deleted_at"),
        (lambda f: f.quarantine(**REPORT), "quarantined", None),
        (lambda f: f.ban(**REPORT, category="other"), "banned", None),
        (_restored, "ready", None),
        (_purged, "deleted", "purged_at"),
        (_blocked, "blocked", None),
    ],
    ids=["deleted", "quarantined", "banned", "restored", "purged", "blocked"],
)
def test_lifecycle_and_moderation_events_set_the_status(
    change: Change, status: str, column: str | None
) -> None:
    log, file = EventLog(), ready_file()
    change(file)
    events = log.record(file)
    row = folded(events)[file.file_id]
    assert row["status"] == status
    if column is not None:
        assert row[column] == events[-1].timestamp == row["updated_at"]


def test_an_expired_file_folds_as_expired() -> None:
    log, file = EventLog(), ready_file()
    file.update_metadata(actor="key_owner", changes={"expiresIn": 1}, now=NOW)
    file.expire(now=NOW.replace(year=2027))
    assert folded(log.record(file))[file.file_id]["status"] == "expired"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda f: f.reject(actor="verifier", reason="not an image"), "rejected"),
        (lambda f: f.abandon(actor="cleanup", reason="stale"), "abandoned"),
    ],
    ids=["rejected", "abandoned"],
)
def test_an_upload_that_never_finished_folds_its_end(change: Change, status: str) -> None:
    log, file = EventLog(), requested_file()
    change(file)
    row = folded(log.record(file))[file.file_id]
    assert (row["status"], row["finalized_at"], row["sha256"]) == (status, None, None)


def test_an_age_restriction_and_its_restore_flip_the_flag_only() -> None:
    log, file = EventLog(), ready_file()
    rows = folded(log.record(file))
    file.restrict(**REPORT)
    assert folded(log.record(file), rows)[file.file_id]["age_restricted"] is True
    file.restore(**REPORT)
    row = folded(log.record(file), rows)[file.file_id]
    assert (row["age_restricted"], row["status"]) == (False, "ready")


def test_the_stored_bytes_replace_what_presign_declared() -> None:
    log, file = EventLog(), requested_file(sha256=None, declared_bytes=1234, mime="image/png")
    rows = folded(log.record(file))
    assert (rows[file.file_id]["bytes"], rows[file.file_id]["status"]) == (1234, "pending")
    file.record_stored(
        actor="k", key="uploads/other", size=1200, sha256=SHA256, mime="image/webp", etag="e"
    )
    row = folded(log.record(file), rows)[file.file_id]
    assert (row["bytes"], row["sha256"], row["mime"], row["blob_key"], row["etag"]) == (
        1200, SHA256, "image/webp", "uploads/other", "e"
    )  # fmt: skip
    assert row["status"] == "uploaded"
