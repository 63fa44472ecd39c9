"""Album memberships written in bulk (COPY through a staging table) fold like one by one."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pichr.domain import ids
from pichr.domain.albums import Album
from pichr.domain.files import File
from pichr.projections.log.replay import checksums, rebuild
from pichr.projections.log.runner import catch_up, ensure_schema
from pichr.projections.views.albums import AlbumProjection
from pichr.projections.views.bulk import COPY_FROM
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import make_app

pytestmark = pytest.mark.integration
OWNER = ids.to_public(ids.ACCOUNT, ids.new_uuid())
MANY = COPY_FROM + 10


def _file(n: int) -> File:
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    return File(file_id=file_id, actor="key_t", owner_id=OWNER, upload_id=ids.to_public(
        ids.UPLOAD, ids.new_uuid()), filename=f"{n}.jpg", mime="image/jpeg", declared_bytes=10,
        sha256=None, title=None, description=None, visibility="public", tags=[],
        expires_in=None, blob_key=f"k/{n}", upload_token_digest=None,
        delete_token_digest=None)  # fmt: skip


def _album(file_ids: list[str]) -> Album:
    album_id = ids.to_public(ids.ALBUM, ids.new_uuid())
    album = Album(album_id=album_id, actor="key_t", owner_id=OWNER, title="t", description=None,
                  visibility="public", tags=[])  # fmt: skip
    album.add_files(actor="key_t", file_ids=file_ids)
    return album


def _members(conn: psycopg.Connection[Any], album_id: str, suffix: str = "") -> list[str]:
    rows = conn.execute(
        f"SELECT file_id FROM album_files{suffix} WHERE album_id = %s ORDER BY seq", (album_id,)
    ).fetchall()
    return [r[0] for r in rows]


def test_many_members_moved_in_one_batch_keep_their_new_order(database_url: str) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    files = [_file(n) for n in range(MANY)]
    album = _album([f.file_id for f in files])
    app.save(*files, album)
    projection = AlbumProjection()
    with psycopg.connect(database_url) as conn:
        catch_up(conn, projection, batch=10_000)  # every member in one batch: COPY
        first = [f.file_id for f in files]
        assert _members(conn, album.album_id) == first
        moved = first[: MANY - 5]  # out, then back at the end: rows present, new seq
        for file_id in moved:
            album.remove_file(actor="key_t", file_id=file_id)
        album.add_files(actor="key_t", file_ids=moved)
        app.save(album)
        catch_up(conn, projection, batch=10_000)
        assert _members(conn, album.album_id) == first[MANY - 5 :] + moved
        assert conn.execute("SELECT file_count FROM album_list").fetchone() == (MANY,)
        live = checksums(conn, projection)
        ensure_schema(conn, projection, "__one")
        catch_up(conn, projection, batch=1, suffix="__one")  # row by row
        assert checksums(conn, projection, "__one") == live
    rebuild(database_url, projection)
    with psycopg.connect(database_url) as conn:
        assert checksums(conn, projection) == live
    app.close()
