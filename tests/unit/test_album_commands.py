"""Album commands on the in-memory event store: ownership, refusals that change nothing, hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from pichr.application.albums.commands import AlbumCommands, AlbumDraft
from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.albums import Album
from pichr.domain.errors import ForbiddenError, GoneError, InvalidInputError, NotFoundError
from pichr.domain.principal import NOBODY, Principal
from tests.support.builders import image_bytes, memory_app, new_owner, upload


class World:
    def __init__(self) -> None:
        self.app: PichrApplication = memory_app()
        self.uploads = Uploads(self.app, InMemoryBlobStore())
        self.files = FileCommands(self.app)
        self.albums = AlbumCommands(self.app)
        self.alice = new_owner()
        self.bob = new_owner()

    def upload(self, who: Principal, seed: int = 0) -> str:
        return upload(self.uploads, who, image_bytes(seed=seed)).file_id

    def album(self, album_id: str) -> Album:
        return self.app.load(Album, ids.ALBUM, album_id)

    def last_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def create(self, who: Principal, file_ids: list[str], **fields: object) -> str:
        values: dict[str, object] = {
            "title": "Trip",
            "description": None,
            "visibility": "public",
            "tags": [],
            "file_ids": file_ids,
            "password": None,
        }
        values.update(fields)
        album_id, _ = self.albums.create(who, AlbumDraft(**values))  # type: ignore[arg-type]
        return album_id


@pytest.fixture
def w() -> World:
    return World()


def test_files_of_another_account_or_unknown_ones_are_refused_by_name(w: World) -> None:
    mine, theirs = w.upload(w.alice, 1), w.upload(w.bob, 2)
    unknown = ids.to_public(ids.FILE, ids.new_uuid())
    before = w.last_position()
    with pytest.raises(ForbiddenError) as refused:
        w.create(w.alice, [mine, theirs, unknown, "not-an-id"])
    assert refused.value.details["fileIds"] == [theirs, unknown, "not-an-id"]
    assert w.last_position() == before  # nothing recorded, not even the album
    album_id = w.create(w.alice, [mine])
    with pytest.raises(ForbiddenError):
        w.albums.add_files(w.alice, album_id, [theirs])
    assert w.album(album_id).file_ids == [mine]


def test_deleted_files_cannot_be_added(w: World) -> None:
    gone = w.upload(w.alice)
    w.files.delete(w.alice, gone, None)
    with pytest.raises(GoneError) as refused:
        w.create(w.alice, [gone])
    assert refused.value.details["fileIds"] == [gone]


def test_add_files_answers_how_many_were_new(w: World) -> None:
    a, b = w.upload(w.alice, 1), w.upload(w.alice, 2)
    album_id = w.create(w.alice, [a])
    added, position = w.albums.add_files(w.alice, album_id, [a, b, b])
    assert (added, w.album(album_id).file_ids) == (1, [a, b])
    assert position == w.last_position()


def test_only_an_argon2_hash_of_the_password_is_recorded(w: World) -> None:
    album_id = w.create(w.alice, [], password="hunter2")
    stored = w.app.recorder.select_notifications(start=1, limit=10_000)
    assert not any(b"hunter2" in n.state for n in stored)
    hashed = w.album(album_id).password_hash
    assert hashed is not None
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, "hunter2")


def test_a_password_is_changed_and_removed_through_update(w: World) -> None:
    album_id = w.create(w.alice, [], password="one")
    first = w.album(album_id).password_hash
    w.albums.update(w.alice, album_id, {"password": "two"})
    second = w.album(album_id).password_hash
    assert second is not None
    assert second != first
    w.albums.update(w.alice, album_id, {"password": ""})
    assert w.album(album_id).password_hash is None


def test_a_cover_outside_the_album_changes_nothing(w: World) -> None:
    inside, outside = w.upload(w.alice, 1), w.upload(w.alice, 2)
    album_id = w.create(w.alice, [inside])
    with pytest.raises(InvalidInputError):
        w.albums.update(w.alice, album_id, {"title": "New", "coverImageId": outside})
    album = w.album(album_id)
    assert (album.title, album.cover_id) == ("Trip", None)


def test_strangers_get_403_for_public_albums_and_404_for_private_ones(w: World) -> None:
    public = w.create(w.alice, [])
    private = w.create(w.alice, [], visibility="private")
    with pytest.raises(ForbiddenError):
        w.albums.update(w.bob, public, {"title": "mine now"})
    with pytest.raises(NotFoundError):
        w.albums.delete(w.bob, private)
    with pytest.raises(ForbiddenError):
        w.albums.create(NOBODY, AlbumDraft("t", None, "public", [], [], None))
    assert w.album(public).title == "Trip"
    assert not w.album(private).deleted


def test_unknown_albums_are_not_found(w: World) -> None:
    with pytest.raises(NotFoundError):
        w.albums.delete(w.alice, ids.to_public(ids.ALBUM, ids.new_uuid()))
    with pytest.raises(NotFoundError):
        w.albums.delete(w.alice, "alb_<script>")
