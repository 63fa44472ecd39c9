"""Sealing personal fields (domain/privacy.py, application/privacy/): what the log stores, what
aggregates and folds read while the key exists, and after it is erased."""

from __future__ import annotations

from uuid import uuid4

from pichr.domain import ids
from pichr.domain.accounts import Account
from pichr.domain.albums import Album
from pichr.domain.privacy import ERASED, PERSONAL, SEAL, open_sealed, seal
from tests.support.builders import memory_app
from tests.support.log import EventLog


def test_sealed_fields_hide_the_plaintext_and_open_with_the_key_only() -> None:
    key, other = bytes(32), b"\x01" * 32
    data = {"title": "Beach", "tags": ["sea"], "changes": {"title": "x"}, "visibility": "public"}
    sealed = seal("pichr.album.AlbumCreated.v1", data, lambda: key)
    assert sealed["title"].startswith(SEAL)
    assert "Beach" not in repr(sealed)
    assert sealed["visibility"] == "public"
    assert data["title"] == "Beach"  # the event's own fields are not changed
    topic = "pichr.album.AlbumCreated.v1"
    assert open_sealed(topic, dict(sealed), lambda: key)["tags"] == ["sea"]
    assert open_sealed(topic, dict(sealed), lambda: other)["title"] == ERASED
    erased = open_sealed(topic, dict(sealed), lambda: None)
    assert (erased["title"], erased["tags"]) == (ERASED, [ERASED])


def test_a_value_typed_to_look_sealed_is_sealed_too() -> None:
    sealed = seal("pichr.account.AccountCreated.v1", {"email": SEAL + "AAAA"}, lambda: bytes(32))
    assert sealed["email"] != SEAL + "AAAA"
    assert open_sealed("pichr.account.AccountCreated.v1", sealed, lambda: bytes(32)) == {
        "email": SEAL + "AAAA"
    }


def test_nested_changes_seal_only_the_personal_keys() -> None:
    data = {"changes": {"title": "T", "visibility": "private"}}
    sealed = seal("pichr.file.MetadataUpdated.v1", data, lambda: bytes(32))
    assert sealed["changes"]["visibility"] == "private"
    assert sealed["changes"]["title"].startswith(SEAL)
    assert data["changes"]["title"] == "T"


def test_the_log_holds_no_plaintext_and_reads_erased_after_the_key_goes() -> None:
    app = memory_app()
    log = EventLog(app)
    owner = ids.to_public(ids.ACCOUNT, uuid4())
    album = Album(
        album_id=ids.to_public(ids.ALBUM, uuid4()), actor="k", owner_id=owner,
        title="Secret trip", description="with Bob", visibility="public", tags=["x"],
    )  # fmt: skip
    account = Account(account_id=owner, actor="op", email="bob@example.com", plan="free")
    (made, created) = log.record(album, account)
    stored = app.recorder.select_notifications(start=1, limit=10)
    assert all(b"Secret trip" not in n.state and b"bob@" not in n.state for n in stored)
    assert (made.data["title"], created.data["email"]) == ("Secret trip", "bob@example.com")
    assert app.repository.get(album.id).title == "Secret trip"

    assert sorted(app.keys.erase(owner, [])) == sorted([album.id, account.id])
    log.position = 0
    again = {e.topic: e.data for e in log.new()}
    assert again["pichr.album.AlbumCreated.v1"]["title"] == ERASED
    assert again["pichr.account.AccountCreated.v1"]["email"] == ERASED
    events = [app.mapper.to_domain_event(n) for n in stored]
    assert {getattr(e, "title", None) for e in events} >= {ERASED}


def test_every_marked_topic_is_an_event_of_the_catalogue() -> None:
    from pichr.domain.catalogue import event_types  # noqa: PLC0415

    topics = {e.topic: e.fields for e in event_types()}
    for topic, fields in PERSONAL.items():
        assert topic in topics
        assert {f.partition(".")[0] for f in fields} <= set(topics[topic])
