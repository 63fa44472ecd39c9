"""Events as a rebuild reads them: decoded on first use, or only the fields a projection names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.album_folds import FILE_FOLDS, Batch, new_state

F = "pichr.file."
STAMP = {"_type_": "datetime_iso", "_data_": "2025-01-01T00:00:00+00:00"}


def _event(topic: str, fields: dict[str, Any], position: int = 1) -> LoggedEvent:
    state = json.dumps({"timestamp": STAMP, **fields}).encode()
    return LoggedEvent(position, ids.new_uuid(), 1, topic, state=state)


def _requested(**extra: Any) -> LoggedEvent:
    fields = {"file_id": "file_abc", "owner_id": "usr_x", "filename": "a.jpg", "tags": ["t"]}
    return _event(F + "UploadRequested.v1", fields | {"visibility": "public"} | extra)


def test_data_is_the_stored_json_with_its_timestamp() -> None:
    e = _requested()
    assert e.data["filename"] == "a.jpg"
    assert e.data["tags"] == ["t"]
    assert e.timestamp == "2025-01-01T00:00:00+00:00"


def test_nul_characters_are_dropped_from_every_string_of_data() -> None:
    e = _requested(filename="a\u0000.jpg", tags=["x\u0000y"])
    assert e.data["filename"] == "a.jpg"
    assert e.data["tags"] == ["xy"]


def test_a_malformed_event_fails_only_when_its_fields_are_read() -> None:
    e = LoggedEvent(7, ids.new_uuid(), 1, F + "UploadStored.v1", state=b"{not json")
    assert (e.position, e.topic) == (7, F + "UploadStored.v1")
    with pytest.raises(ValueError, match="JSON"):
        _ = e.data


def test_events_built_with_their_data_keep_it() -> None:
    e = LoggedEvent(3, ids.new_uuid(), 2, F + "FileDeleted.v1", {"timestamp": "2025-01-02"})
    assert e.data == {"timestamp": "2025-01-02"}
    assert e.timestamp == "2025-01-02"


def test_album_file_state_from_named_fields_equals_the_one_from_all_fields() -> None:
    e = _requested(visibility="unlisted")
    assert new_state(e) == {
        "file_id": e.data["file_id"], "status": "pending",
        "visibility": e.data["visibility"], "expires_at": None,
    }  # fmt: skip


def test_album_file_state_strips_nul_characters_like_the_file_listing() -> None:
    assert new_state(_requested(visibility="pri\u0000vate"))["visibility"] == "private"


def _folded(*events: LoggedEvent) -> dict[str, Any]:
    state = new_state(_requested())
    batch = Batch(albums={}, states={"file_abc": state})
    for e in events:
        FILE_FOLDS[e.topic](batch, "file_abc", e)
    return state


def test_file_events_change_only_the_gate_fields_they_name() -> None:
    finalized = _event(F + "UploadFinalized.v1", {"width": 9, "expires_at": "2030-01-01"}, 2)
    retitled = _event(F + "MetadataUpdated.v1", {"changes": {"title": "x", "tags": []}}, 3)
    hidden = _event(F + "MetadataUpdated.v1", {"changes": {"visibility": "private"}}, 4)
    kept = _event(F + "MetadataUpdated.v1", {"changes": {"expiresAt": None}}, 5)
    assert _folded(finalized, retitled) == {
        "file_id": "file_abc", "status": "ready", "visibility": "public",
        "expires_at": "2030-01-01",
    }  # fmt: skip
    assert _folded(finalized, hidden, kept)["visibility"] == "private"
    assert _folded(finalized, hidden, kept)["expires_at"] is None
