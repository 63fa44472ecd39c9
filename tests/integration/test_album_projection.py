"""The album read models on PostgreSQL: folds, counts, batch independence, replay, the file gate."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pichr.application.albums.commands import AlbumCommands, AlbumDraft
from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.files import File
from pichr.domain.principal import Principal
from pichr.domain.tallies import ViewTally
from pichr.projections.log.replay import checksums, rebuild
from pichr.projections.log.runner import catch_up, ensure_schema
from pichr.projections.queries.albums import AlbumReads, Viewer
from pichr.projections.views.albums import AlbumProjection
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import catch_up_all, make_app, record_analysis
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration


class History:
    """A small but varied history of albums and files, written through the commands."""

    def __init__(self, database_url: str) -> None:
        ensure_all(database_url)
        self.app: PichrApplication = make_app(database_url)
        self.uploads = Uploads(self.app, InMemoryBlobStore())
        self.files = FileCommands(self.app, self.uploads.quotas)
        self.albums = AlbumCommands(self.app)
        self.alice: Principal = new_owner()

    def file(self, seed: int) -> str:
        return upload(self.uploads, self.alice, image_bytes(seed=seed)).file_id

    def album(self, file_ids: list[str], **fields: Any) -> str:
        draft = AlbumDraft(
            title=fields.get("title", "t"),
            description=None,
            visibility=fields.get("visibility", "public"),
            tags=[],
            file_ids=file_ids,
            password=fields.get("password"),
        )
        return self.albums.create(self.alice, draft)[0]

    def write(self) -> dict[str, Any]:
        f = [self.file(i) for i in range(5)]
        kept = self.album([f[0], f[1], f[2]], password="pw")
        self.albums.add_files(self.alice, kept, [f[3], f[1]])
        self.albums.remove_file(self.alice, kept, f[0])
        self.albums.add_files(self.alice, kept, [f[0]])  # back, at the end
        self.albums.update(self.alice, kept, {"coverImageId": f[2], "title": "kept"})
        self.files.delete(self.alice, f[1], None)
        self.files.update(self.alice, f[3], {"visibility": "private"})
        dropped = self.album([f[4]])
        self.albums.delete(self.alice, dropped)
        self.app.commit(ViewTally(views={kept: 3, f[2]: 1}, downloads={}))
        self.file(9)  # a later file in no album: moves no album
        return {"files": f, "kept": kept, "dropped": dropped}


def rows(database_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def test_album_rows_follow_album_and_file_events(database_url: str) -> None:
    h = History(database_url)
    made = h.write()
    catch_up_all(database_url)
    f, kept = made["files"], made["kept"]
    ((title, cover, count, views, hashed, status),) = rows(
        database_url,
        "SELECT title, cover_id, file_count, view_count, password_hash, status"
        " FROM album_list WHERE id = %s",
        kept,
    )
    # f[1] was deleted: still a member, no longer counted.
    assert (title, cover, count, views, status) == ("kept", f[2], 3, 3, "live")
    assert str(hashed).startswith("$argon2id$")
    order = rows(
        database_url, "SELECT file_id FROM album_files WHERE album_id = %s ORDER BY seq", kept
    )
    assert [r[0] for r in order] == [f[1], f[2], f[3], f[0]]
    gone = rows(database_url, "SELECT status FROM album_list WHERE id = %s", made["dropped"])
    assert gone == [("deleted",)]
    assert (
        rows(database_url, "SELECT * FROM album_files WHERE album_id = %s", made["dropped"]) == []
    )


def test_a_file_change_moves_the_position_of_the_albums_holding_it(database_url: str) -> None:
    h = History(database_url)
    file_id = h.file(0)
    album_id = h.album([file_id])
    other = h.album([])
    catch_up_all(database_url)
    positions = dict(rows(database_url, "SELECT id, position FROM album_list"))
    changed = h.files.update(h.alice, file_id, {"visibility": "private"})
    catch_up_all(database_url)
    after = dict(rows(database_url, "SELECT id, position FROM album_list"))
    assert after[album_id] == changed > positions[album_id]
    assert after[other] == positions[other]


def test_any_batch_size_and_a_replay_build_the_same_tables(database_url: str) -> None:
    History(database_url).write()
    projection = AlbumProjection()
    with psycopg.connect(database_url) as conn:
        catch_up(conn, projection, batch=1000)
        live = checksums(conn, projection)
        ensure_schema(conn, projection, "__one")
        catch_up(conn, projection, batch=1, suffix="__one")
        assert checksums(conn, projection, "__one") == live
    rebuild(database_url, projection)
    with psycopg.connect(database_url) as conn:
        assert checksums(conn, projection) == live


def test_folding_a_batch_twice_changes_nothing(database_url: str) -> None:
    h = History(database_url)
    f = [h.file(i) for i in range(3)]
    album_id = h.album(f[:2])
    h.albums.remove_file(h.alice, album_id, f[0])
    h.albums.add_files(h.alice, album_id, [f[2]])
    h.files.delete(h.alice, f[1], None)
    projection = AlbumProjection()
    with psycopg.connect(database_url) as conn:
        catch_up(conn, projection)
        once = checksums(conn, projection)
        with conn.cursor() as cur:
            from pichr.projections.log.reader import read_after  # noqa: PLC0415

            projection.apply(cur, read_after(cur, 0, 10_000), "")
        conn.commit()
        assert checksums(conn, projection) == once


def test_files_show_only_while_both_read_models_allow_them(database_url: str) -> None:
    """A status other than ready (a future ban) hides a file from everyone, owner included."""
    h = History(database_url)
    f = [h.file(i) for i in range(4)]
    for file_id in f:  # published: others see only analyzed files
        record_analysis(h.app, file_id)
    album_id = h.album(f)
    h.files.update(h.alice, f[1], {"visibility": "private"})
    h.files.delete(h.alice, f[2], None)
    catch_up_all(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE file_listing SET status = 'banned' WHERE id = %s", (f[3],))

    async def seen() -> tuple[list[str], list[str]]:
        async with AsyncConnectionPool(database_url, min_size=1, open=False) as pool:
            reads = AlbumReads(pool, None, threshold=0.8)
            owner = await reads.files(album_id, Viewer(h.alice.account_id, owner=True, adult=False))
            other = await reads.files(album_id, Viewer(None, owner=False, adult=False))
            return [r.id for r in owner.rows], [r.id for r in other.rows]

    owner, other = asyncio.run(seen())
    assert owner == [f[0], f[1]]
    assert other == [f[0]]


def test_a_banned_file_leaves_the_count_and_a_restored_one_returns(database_url: str) -> None:
    h = History(database_url)
    kept, banned = h.file(0), h.file(1)
    album_id = h.album([kept, banned])

    def moderate(action: str) -> None:
        file = h.app.load(File, ids.FILE, banned)
        if action == "ban":
            file.ban(actor="key_mod", report_id="rep_1", reason="spam", category="spam")
        else:
            file.restore(actor="key_mod", report_id="rep_1", reason="appeal")
        h.app.commit(file)

    def count() -> int:
        catch_up_all(database_url)
        found = rows(database_url, "SELECT file_count FROM album_list WHERE id = %s", album_id)
        return int(found[0][0])

    assert count() == 2
    moderate("ban")
    assert count() == 1
    moderate("restore")
    assert count() == 2
