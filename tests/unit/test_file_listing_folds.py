"""The file listing's fold, in memory: real events, as the log holds them, into rows as
`GET /files` shows them (projections/views/file_listing.py; a file's end and its moderation:
test_file_lifecycle_folds.py; the same fold on PostgreSQL: the integration tier)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.uploads.commands import Uploads
from pichr.domain.accounts import Account
from pichr.domain.tallies import ViewTally
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.file_listing import COLUMNS, fold_events
from tests.support.aggregates import NOW, PHASH, analysis, ready_file
from tests.support.builders import image_bytes, new_owner, upload
from tests.support.log import EventLog

Row = dict[str, Any]


def folded(events: list[LoggedEvent], rows: dict[str, Row] | None = None) -> dict[str, Row]:
    rows = {} if rows is None else rows
    fold_events(rows, events)
    return rows


def test_an_upload_folds_into_one_ready_row_with_every_column() -> None:
    log, data = EventLog(), image_bytes("PNG", (40, 30))
    uploaded = upload(Uploads(log.app, InMemoryBlobStore()), new_owner("usr_a"), data, "image/png")
    events = log.new()
    rows: dict[str, Row] = {}
    assert fold_events(rows, events) == {uploaded.file_id}
    requested, stored, *_, finalized = [e for e in events if e.topic.startswith("pichr.file.")]
    assert rows[uploaded.file_id] == dict.fromkeys(COLUMNS) | {
        "id": uploaded.file_id, "owner_id": "usr_a", "upload_id": uploaded.upload_id,
        "status": "ready", "filename": "photo.jpg", "mime": "image/png", "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "width": 40, "height": 30,
        "visibility": "public", "tags": [], "hotlink_policy": "allow", "hotlink_whitelist": [],
        "blob_key": uploaded.blob_key, "etag": stored.data["etag"], "view_count": 0,
        "download_count": 0, "age_restricted": False, "position": finalized.position,
        "created_at": requested.timestamp, "finalized_at": finalized.timestamp,
        "updated_at": finalized.timestamp,
    }  # fmt: skip


def test_a_fold_in_batches_of_one_gives_the_rows_of_a_fold_in_one_batch() -> None:
    log, file = EventLog(), ready_file()
    file.update_metadata(actor="key_owner", changes={"title": "renamed"}, now=NOW)
    file.record_analysis(actor="worker", result=analysis())
    events = [*log.record(file), *log.record(ViewTally(views={file.file_id: 2}, downloads={}))]
    rows: dict[str, Row] = {}
    for e in events:  # the projection stores the rows after each batch and loads them again
        rows = copy.deepcopy(folded([e], rows))
    assert rows == folded(events)


def test_metadata_changes_fold_into_their_columns() -> None:
    log, file = EventLog(), ready_file()
    changes = {
        "title": "new", "description": "words", "visibility": "unlisted", "tags": ["a", "b"],
        "hotlinkPolicy": "whitelist", "hotlinkWhitelist": ["example.com"], "expiresIn": 24,
    }  # fmt: skip
    file.update_metadata(actor="key_owner", changes=changes, now=NOW)
    row = folded(log.record(file))[file.file_id]
    assert {k: row[k] for k in ("title", "description", "visibility", "tags")} == {
        "title": "new", "description": "words", "visibility": "unlisted", "tags": ["a", "b"]
    }  # fmt: skip
    assert (row["hotlink_policy"], row["hotlink_whitelist"]) == ("whitelist", ["example.com"])
    assert row["expires_at"] == "2026-01-03T03:04:05+00:00"  # 24 hours after NOW


def test_analysis_results_fold_and_a_reanalysis_replaces_them() -> None:
    log, file = EventLog(), ready_file()
    file.record_analysis(actor="worker", result=analysis(nsfw_score=0.1))
    rows = folded(log.record(file))
    first = dict(rows[file.file_id])
    assert (first["phash"], first["nsfw_score"], first["analysis_error"]) == (PHASH, 0.1, None)
    assert (first["rendition_key"], first["rendition_bytes"]) == (f"renditions/{PHASH}.webp", 900)
    assert (first["rendition_mime"], first["rendition_sha256"]) == ("image/webp", "d4" * 32)
    assert (first["thumbnail_key"], first["thumbnail_bytes"]) == (f"thumbnails/{PHASH}.webp", 90)
    assert first["thumbnail_sha256"] == "e5" * 32
    assert first["analyzed_at"] == first["updated_at"]
    file.record_reanalysis(actor="worker", result=analysis("f0" * 8, 0.9, "m2"))
    again = folded(log.record(file), rows)[file.file_id]
    assert (again["phash"], again["nsfw_score"]) == ("f0" * 8, 0.9)
    assert again["analyzed_at"] > first["analyzed_at"]


def test_a_failed_analysis_folds_its_reason() -> None:
    log, file = EventLog(), ready_file()
    file.fail_analysis(actor="worker", reason="cannot decode")
    row = folded(log.record(file))[file.file_id]
    assert (row["analysis_error"], row["nsfw_score"], row["analyzed_at"]) == (
        "cannot decode", None, row["updated_at"]
    )  # fmt: skip


def test_tallied_views_and_downloads_add_up_on_the_files_the_batch_holds() -> None:
    log, file = EventLog(), ready_file()
    rows = folded(log.record(file))
    tallies = [
        ViewTally(views={file.file_id: 2, "file_unknown": 5}, downloads={file.file_id: 1}),
        ViewTally(views={file.file_id: 3}, downloads={}),
    ]
    events = log.record(*tallies)
    assert fold_events(rows, events) == {file.file_id}
    row = rows[file.file_id]
    assert (row["view_count"], row["download_count"]) == (5, 1)
    assert row["position"] == events[-1].position
    assert set(rows) == {file.file_id}  # a tally never makes a row


def test_events_of_rows_the_batch_did_not_load_and_of_other_kinds_change_nothing() -> None:
    log, file = EventLog(), ready_file()
    log.record(file)  # its UploadRequested is in an earlier batch, whose row was not loaded
    file.delete(actor="key_owner")
    later = log.record(file, Account(account_id="usr_b", actor="admin", email="b@x", plan="pro"))
    rows: dict[str, Row] = {}
    assert fold_events(rows, later) == set()
    assert rows == {}
