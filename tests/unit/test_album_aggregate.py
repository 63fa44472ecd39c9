"""The Album aggregate's rules, and the events it records."""

from __future__ import annotations

import pytest

from pichr.domain import ids
from pichr.domain.albums import MAX_FILES, Album
from pichr.domain.errors import GoneError, InvalidInputError, NotFoundError

A = "pichr.album."


def new_album(**fields: object) -> Album:
    values: dict[str, object] = {
        "album_id": ids.to_public(ids.ALBUM, ids.new_uuid()),
        "actor": "key_owner",
        "owner_id": "usr_owner",
        "title": "Trip",
        "description": None,
        "visibility": "public",
        "tags": ["2025"],
    }
    values.update(fields)
    return Album(**values)  # type: ignore[arg-type]


def recorded(album: Album) -> list[tuple[str, dict[str, object]]]:
    return [(type(e).TOPIC, dict(e.__dict__)) for e in album.collect_events()]  # type: ignore[attr-defined]


def test_every_change_records_a_versioned_topic_with_its_actor() -> None:
    album = new_album()
    album.add_files(actor="key_owner", file_ids=["file_a", "file_b"])
    album.update(actor="key_owner", changes={"title": "Trip 2"})
    album.set_password(actor="key_owner", password_hash="$argon2id$x")
    album.set_cover(actor="key_owner", file_id="file_b")
    album.remove_file(actor="key_owner", file_id="file_a")
    album.set_password(actor="key_owner", password_hash=None)
    album.delete(actor="key_owner")
    events = recorded(album)
    assert [topic for topic, _ in events] == [
        A + "AlbumCreated.v1",
        A + "FilesAdded.v1",
        A + "AlbumUpdated.v1",
        A + "PasswordSet.v1",
        A + "CoverSet.v1",
        A + "FileRemoved.v1",
        A + "PasswordCleared.v1",
        A + "AlbumDeleted.v1",
    ]
    assert all(data["actor"] == "key_owner" for _, data in events)
    assert Album.Created.TOPIC == A + "Created.v1"


def test_files_keep_the_order_they_were_added_in_and_only_new_ones_count() -> None:
    album = new_album()
    assert album.add_files(actor="k", file_ids=["file_c", "file_a", "file_c"]) == 2
    assert album.add_files(actor="k", file_ids=["file_a", "file_b"]) == 1
    assert album.add_files(actor="k", file_ids=["file_b"]) == 0
    assert album.file_ids == ["file_c", "file_a", "file_b"]
    album.remove_file(actor="k", file_id="file_c")
    assert album.add_files(actor="k", file_ids=["file_c"]) == 1
    assert album.file_ids == ["file_a", "file_b", "file_c"]


def test_adding_nothing_new_records_nothing() -> None:
    album = new_album()
    album.add_files(actor="k", file_ids=["file_a"])
    album.collect_events()
    album.add_files(actor="k", file_ids=["file_a", "file_a"])
    assert album.collect_events() == []


def test_cover_must_be_in_the_album_and_goes_when_its_file_goes() -> None:
    album = new_album()
    album.add_files(actor="k", file_ids=["file_a"])
    with pytest.raises(InvalidInputError) as refused:
        album.set_cover(actor="k", file_id="file_other")
    assert refused.value.details["field"] == "coverImageId"
    album.set_cover(actor="k", file_id="file_a")
    assert album.cover_id == "file_a"
    album.remove_file(actor="k", file_id="file_a")
    assert album.cover_id is None


def test_removing_a_file_not_in_the_album_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        new_album().remove_file(actor="k", file_id="file_a")


def test_a_deleted_album_refuses_every_change() -> None:
    album = new_album()
    album.delete(actor="k")
    for change in (
        lambda: album.add_files(actor="k", file_ids=["file_a"]),
        lambda: album.update(actor="k", changes={"title": "x"}),
        lambda: album.set_password(actor="k", password_hash="h"),
        lambda: album.set_cover(actor="k", file_id=None),
        lambda: album.delete(actor="k"),
    ):
        with pytest.raises(GoneError):
            change()


@pytest.mark.parametrize(
    "changes",
    [{"owner_id": "usr_thief"}, {"visibility": "secret"}, {"title": "   "}],
    ids=["unknown field", "unknown visibility", "blank title"],
)
def test_updates_that_break_a_rule_are_refused(changes: dict[str, object]) -> None:
    album = new_album()
    with pytest.raises(InvalidInputError):
        album.update(actor="k", changes=changes)
    assert album.owner_id == "usr_owner"
    assert album.title == "Trip"


def test_an_update_that_changes_nothing_records_nothing() -> None:
    album = new_album()
    album.collect_events()
    album.update(actor="k", changes={"title": "Trip", "tags": ["2025"]})
    assert album.collect_events() == []


def test_an_album_holds_at_most_max_files() -> None:
    album = new_album()
    album.add_files(actor="k", file_ids=[f"file_{i}" for i in range(MAX_FILES)])
    with pytest.raises(InvalidInputError):
        album.add_files(actor="k", file_ids=["file_one_more"])
    assert len(album.file_ids) == MAX_FILES
