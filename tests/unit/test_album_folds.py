"""The album read models' fold, in memory: real events, as the log holds them, into album rows,
memberships and each file's gate state (projections/views/album_folds.py; member writes, the
albums a file change moves, and file counts run on PostgreSQL in the integration tier)."""

from __future__ import annotations

from typing import Any

from pichr.domain.tallies import ViewTally
from pichr.projections.views.album_folds import SEQ_PER_EVENT, Batch, fold_events
from pichr.projections.views.albums import ALBUM_COLUMNS, STATE_COLUMNS
from tests.support.aggregates import NOW, album, ready_file, requested_file
from tests.support.log import EventLog

Row = dict[str, Any]


def empty() -> Batch:
    return Batch(albums={}, states={})


def test_a_new_album_folds_into_a_live_row_of_its_own() -> None:
    log, made = EventLog(), album(owner_id="usr_a", description="sun")
    (created,) = log.record(made)
    batch = empty()
    fold_events(batch, [created])
    assert set(batch.albums[made.album_id]) == set(ALBUM_COLUMNS)
    assert batch.albums[made.album_id] == {
        "id": made.album_id, "owner_id": "usr_a", "title": "Holidays", "description": "sun",
        "visibility": "public", "tags": ["sea"], "password_hash": None, "cover_id": None,
        "file_count": 0, "view_count": 0, "status": "live", "created_at": created.timestamp,
        "updated_at": created.timestamp, "deleted_at": None, "position": created.position,
    }  # fmt: skip
    assert batch.changed == {made.album_id}


def test_files_added_keep_their_order_and_a_removed_one_leaves_and_clears_the_cover() -> None:
    log, made = EventLog(), album()
    made.add_files(actor="k", file_ids=["file_a", "file_b"])
    made.set_cover(actor="k", file_id="file_b")
    made.add_files(actor="k", file_ids=["file_c"])
    made.remove_file(actor="k", file_id="file_b")
    events = log.record(made)
    batch = empty()
    fold_events(batch, events)
    first, second = events[1].position, events[3].position
    assert batch.members == {
        (made.album_id, "file_a"): first * SEQ_PER_EVENT,
        (made.album_id, "file_b"): None,  # removed: the projection deletes the member row
        (made.album_id, "file_c"): second * SEQ_PER_EVENT,
    }
    row = batch.albums[made.album_id]
    assert row["cover_id"] is None
    assert (row["position"], row["updated_at"]) == (events[-1].position, events[-1].timestamp)
    assert batch.recount == {made.album_id}


def test_metadata_password_and_cover_fold_into_the_row() -> None:
    log, made = EventLog(), album()
    made.add_files(actor="k", file_ids=["file_a"])
    made.update(actor="k", changes={"title": "Winter", "visibility": "private", "tags": []})
    made.set_password(actor="k", password_hash="argon2-hash")
    made.set_cover(actor="k", file_id="file_a")
    batch = empty()
    fold_events(batch, log.record(made))
    row = batch.albums[made.album_id]
    assert (row["title"], row["visibility"], row["tags"]) == ("Winter", "private", [])
    assert (row["password_hash"], row["cover_id"]) == ("argon2-hash", "file_a")
    made.set_password(actor="k", password_hash=None)
    fold_events(batch, log.record(made))
    assert batch.albums[made.album_id]["password_hash"] is None


def test_a_deleted_album_is_marked_and_its_members_go() -> None:
    log, made = EventLog(), album()
    batch = empty()
    fold_events(batch, log.record(made))
    made.delete(actor="k")
    (deleted,) = log.record(made)
    fold_events(batch, [deleted])
    row = batch.albums[made.album_id]
    assert (row["status"], row["deleted_at"]) == ("deleted", deleted.timestamp)
    assert batch.deleted == batch.recount == {made.album_id}


def test_tallied_views_count_for_the_albums_the_batch_holds() -> None:
    log, made = EventLog(), album()
    batch = empty()
    fold_events(batch, log.record(made))
    tally = ViewTally(views={made.album_id: 3, "alb_unknown": 1, "file_x": 9}, downloads={})
    (tallied,) = log.record(tally)
    fold_events(batch, [tallied])
    assert batch.albums[made.album_id]["view_count"] == 3
    assert batch.albums[made.album_id]["position"] == tallied.position
    assert set(batch.albums) == {made.album_id}


def test_a_file_s_gate_state_follows_its_upload_and_visibility() -> None:
    log, file = EventLog(), ready_file(visibility="unlisted")
    events = log.record(file)
    batch = empty()
    fold_events(batch, events)
    assert set(batch.states[file.file_id]) == set(STATE_COLUMNS)
    assert batch.states[file.file_id] == {
        "file_id": file.file_id, "status": "ready", "visibility": "unlisted", "expires_at": None
    }  # fmt: skip
    assert batch.files == {file.file_id}
    assert batch.file_positions == {file.file_id: events[-1].position}


def test_only_changes_to_the_gate_state_move_a_file() -> None:
    log, file = EventLog(), ready_file()
    log.record(file)  # an earlier batch: its state as stored
    states = {file.file_id: {"file_id": file.file_id, "status": "ready",
                             "visibility": "public", "expires_at": None}}  # fmt: skip
    file.update_metadata(actor="k", changes={"title": "not a gate"}, now=NOW)
    batch = Batch(albums={}, states=states)
    fold_events(batch, log.record(file))
    assert batch.files == set()
    file.update_metadata(actor="k", changes={"visibility": "private", "expiresIn": 1}, now=NOW)
    (changed,) = log.record(file)
    fold_events(batch, [changed])
    assert batch.states[file.file_id]["visibility"] == "private"
    assert batch.states[file.file_id]["expires_at"] == "2026-01-02T04:04:05+00:00"
    assert batch.file_positions == {file.file_id: changed.position}


def test_a_file_s_end_and_its_restore_set_the_gate_status() -> None:
    log, file = EventLog(), ready_file()
    batch = empty()
    fold_events(batch, log.record(file))
    file.quarantine(actor="mod", report_id="rep_1", reason="csam")
    fold_events(batch, log.record(file))
    assert batch.states[file.file_id]["status"] == "quarantined"
    file.restore(actor="mod", report_id="rep_1", reason="mistake")
    file.delete(actor="k")
    fold_events(batch, log.record(file))
    assert batch.states[file.file_id]["status"] == "deleted"
    pending = requested_file()
    pending.abandon(actor="cleanup", reason="stale")
    fold_events(batch, log.record(pending))
    assert batch.states[pending.file_id]["status"] == "abandoned"


def test_events_of_albums_and_files_the_batch_did_not_load_change_nothing() -> None:
    log, made, file = EventLog(), album(), ready_file()
    log.record(made, file)  # created in an earlier batch, whose rows were not loaded
    made.update(actor="k", changes={"title": "elsewhere"})
    file.delete(actor="k")
    batch = empty()
    fold_events(batch, log.record(made, file))
    assert (batch.albums, batch.states, batch.changed, batch.files) == ({}, {}, set(), set())
