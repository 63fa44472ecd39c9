"""The File aggregate's rules, from presign to deletion or expiry, without any service."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import get_topic, resolve_topic

from pichr.domain import ids
from pichr.domain.accounts import Account, ApiKey
from pichr.domain.errors import ConflictError, GoneError, InvalidInputError
from pichr.domain.files import File
from pichr.domain.tallies import ViewTally

NOW = datetime(2025, 11, 13, 10, 0, tzinfo=UTC)
SHA = "ab" * 32
KEY = "uploads/2026-01-01/file_x/attempt/a.jpg"


def requested(**overrides: Any) -> File:
    fields: dict[str, Any] = {
        "file_id": ids.to_public(ids.FILE, ids.new_uuid()),
        "actor": "key_a",
        "owner_id": "usr_a",
        "upload_id": "upl_a",
        "filename": "a.jpg",
        "mime": "image/jpeg",
        "declared_bytes": 10,
        "sha256": None,
        "title": "t",
        "description": None,
        "visibility": "public",
        "tags": [],
        "expires_in": None,
        "blob_key": "uploads/a.jpg",
        "upload_token_digest": None,
        "delete_token_digest": None,
    }
    return File(**(fields | overrides))


def stored(**overrides: Any) -> File:
    file = requested(**overrides)
    file.record_stored(actor="key_a", key=KEY, size=10, sha256=SHA, mime="image/jpeg", etag="e1")
    return file


def ready(**overrides: Any) -> File:
    file = stored(**overrides)
    assert file.finalize(actor="key_a", width=4, height=3, now=NOW)
    return file


def names(file: File) -> list[str]:
    return [type(e).__name__ for e in file.collect_events()]


def test_upload_lifecycle_goes_pending_uploaded_ready_with_one_event_each() -> None:
    file = requested()
    assert file.status == "pending"
    file.record_stored(actor="key_a", key=KEY, size=10, sha256=SHA, mime="image/jpeg", etag="e1")
    assert file.status == "uploaded"
    assert file.stored == {
        "key": KEY,
        "size": 10,
        "sha256": SHA,
        "mime": "image/jpeg",
        "etag": "e1",
    }
    assert file.finalize(actor="key_a", width=4, height=3, now=NOW) is True
    assert file.status == "ready"
    assert file.finalized_at is not None
    assert file.expires_at is None
    assert names(file) == ["UploadRequested", "UploadStored", "UploadFinalized"]


def test_finalize_sets_expiry_hours_after_now() -> None:
    file = ready(expires_in=24)
    assert file.expires_at == NOW + timedelta(hours=24)


def test_finalize_twice_returns_false_and_records_nothing() -> None:
    file = ready()
    file.collect_events()
    assert file.finalize(actor="key_a", width=9, height=9, now=NOW) is False
    assert file.collect_events() == []
    assert file.status == "ready"


def test_finalize_before_the_bytes_are_stored_is_a_conflict() -> None:
    file = requested()
    file.collect_events()
    with pytest.raises(ConflictError):
        file.finalize(actor="key_a", width=4, height=3, now=NOW)
    assert file.collect_events() == []
    assert file.status == "pending"


def test_storing_twice_is_a_conflict() -> None:
    file = stored()
    with pytest.raises(ConflictError):
        file.record_stored(
            actor="key_a", key=KEY, size=10, sha256=SHA, mime="image/jpeg", etag="e2"
        )
    assert file.stored["etag"] == "e1"


def test_rejected_upload_cannot_be_finalized() -> None:
    file = stored()
    file.reject(actor="key_a", reason="not an image")
    assert file.status == "rejected"
    with pytest.raises(ConflictError):
        file.finalize(actor="key_a", width=4, height=3, now=NOW)
    assert names(file)[-1] == "UploadRejected"


def test_reject_after_finalize_changes_nothing() -> None:
    file = ready()
    file.collect_events()
    file.reject(actor="key_a", reason="late")
    assert file.status == "ready"
    assert file.collect_events() == []


def test_metadata_changes_apply_and_expires_in_becomes_expires_at() -> None:
    file = ready()
    file.collect_events()
    later = NOW + timedelta(days=2)
    changes = {
        "title": "new",
        "description": "d",
        "visibility": "unlisted",
        "tags": ["x", "y"],
        "expiresIn": 168,
    }
    file.update_metadata(actor="key_a", changes=changes, now=later)
    assert (file.title, file.description, file.visibility) == ("new", "d", "unlisted")
    assert file.tags == ["x", "y"]
    assert file.expires_at == later + timedelta(hours=168)
    [event] = file.collect_events()
    recorded = event.changes  # type: ignore[attr-defined]
    assert "expiresIn" not in recorded
    assert datetime.fromisoformat(recorded["expiresAt"]) == later + timedelta(hours=168)


def test_empty_metadata_change_records_nothing() -> None:
    file = ready()
    file.collect_events()
    file.update_metadata(actor="key_a", changes={}, now=NOW)
    assert file.collect_events() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"owner_id": "usr_evil"},
        {"status": "ready"},
        {"visibility": "secret"},
        {"hotlinkPolicy": "whitelist"},
        {"expiresIn": 0},
        {"expiresIn": -5},
    ],
)
def test_invalid_metadata_changes_are_refused_and_record_nothing(changes: dict[str, Any]) -> None:
    file = ready()
    file.collect_events()
    with pytest.raises(InvalidInputError):
        file.update_metadata(actor="key_a", changes=changes, now=NOW)
    assert file.collect_events() == []
    assert file.owner_id == "usr_a"
    assert file.visibility == "public"
    assert file.expires_at is None


def test_whitelist_policy_with_hosts_is_accepted() -> None:
    file = ready()
    file.collect_events()
    changes = {"hotlinkPolicy": "whitelist", "hotlinkWhitelist": ["example.com"]}
    file.update_metadata(actor="key_a", changes=changes, now=NOW)
    assert names(file) == ["MetadataUpdated"]


def test_deleted_file_refuses_every_later_command() -> None:
    file = ready()
    file.delete(actor="key_a")
    assert file.deleted
    with pytest.raises(GoneError):
        file.update_metadata(actor="key_a", changes={"title": "x"}, now=NOW)
    with pytest.raises(GoneError):
        file.delete(actor="key_a")
    with pytest.raises(GoneError):
        file.finalize(actor="key_a", width=1, height=1, now=NOW)
    with pytest.raises(GoneError):
        file.record_stored(actor="key_a", key=KEY, size=1, sha256=SHA, mime="image/jpeg", etag="e")
    assert file.expire(now=NOW + timedelta(days=9999)) is False
    assert names(file)[-1] == "FileDeleted"


def test_pending_upload_can_be_deleted_then_not_stored() -> None:
    file = requested()
    file.delete(actor="key_a")
    with pytest.raises(GoneError):
        file.record_stored(actor="key_a", key=KEY, size=10, sha256=SHA, mime="image/jpeg", etag="e")


def test_expire_happens_only_once_expires_at_has_passed() -> None:
    file = ready(expires_in=1)
    file.collect_events()
    assert file.expire(now=NOW + timedelta(minutes=59)) is False
    assert file.collect_events() == []
    assert file.expire(now=NOW + timedelta(hours=1)) is True
    assert names(file) == ["FileExpired"]
    assert file.expire(now=NOW + timedelta(hours=2)) is False
    with pytest.raises(GoneError):
        file.update_metadata(actor="key_a", changes={"title": "x"}, now=NOW)


def test_file_without_expiry_never_expires() -> None:
    file = ready()
    assert file.expire(now=NOW + timedelta(days=36500)) is False


AGGREGATE_TOPICS: dict[type[Aggregate], str] = {
    File: "file",
    Account: "account",
    ApiKey: "key",
    ViewTally: "tally",
}


def event_classes(aggregate: type[Aggregate]) -> list[type[DomainEvent]]:
    # `Event` is the library's generated base class of the others: never instantiated or stored.
    return [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, DomainEvent) and name != "Event"
    ]


@pytest.mark.parametrize("aggregate", list(AGGREGATE_TOPICS), ids=lambda a: a.__name__)
def test_every_event_class_has_an_explicit_versioned_topic(aggregate: type[Aggregate]) -> None:
    classes = event_classes(aggregate)
    assert len(classes) >= 2  # Created and at least one own event
    pattern = re.compile(rf"pichr\.{AGGREGATE_TOPICS[aggregate]}\.[A-Z]\w*\.v[1-9]\d*")
    for cls in classes:
        topic = get_topic(cls)
        assert pattern.fullmatch(topic), f"{cls.__qualname__} is stored as {topic!r}"
        assert resolve_topic(topic) is cls
    assert pattern.fullmatch(get_topic(aggregate))


def test_recorded_events_carry_their_explicit_topics() -> None:
    file = ready()
    file.update_metadata(actor="key_a", changes={"title": "x"}, now=NOW)
    file.delete(actor="key_a")
    topics = [get_topic(type(e)) for e in file.collect_events()]
    assert topics == [
        "pichr.file.UploadRequested.v1",
        "pichr.file.UploadStored.v1",
        "pichr.file.UploadFinalized.v1",
        "pichr.file.MetadataUpdated.v1",
        "pichr.file.FileDeleted.v1",
    ]
