"""Erasing an account leaves nothing personal of it anywhere (issue 19's done-when): the log
as raw bytes, decoded and in hex, every other table, the blob keys, the export and the audit
history; the other account's data stays intact, and a replay equals the live read models."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from pichr.application.albums.commands import AlbumCommands, AlbumDraft
from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.identity import Identity
from pichr.application.moderation.audit import file_as_of, file_history
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.accounts import Account
from pichr.domain.errors import GoneError
from pichr.domain.files import File
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.privacy import ERASED
from pichr.projections.log.replay import rebuild
from pichr.projections.queries.feed import stream
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.compose import erasure, report_index
from tests.integration.helpers import catch_up_all, live_checksums, make_app
from tests.support.builders import image_bytes, new_owner

pytestmark = pytest.mark.integration
FIELDS = ("mail", "keyname", "filename", "title", "descr", "tag", "title2", "descr2", "tag2",
          "albumtitle", "albumdescr", "albumtag", "albumtitle2")  # fmt: skip


@pytest.fixture
def app(database_url: str) -> Iterator[PichrApplication]:
    ensure_all(database_url)
    application = make_app(database_url)
    yield application
    application.close()


def strings(tag: str) -> dict[str, str]:
    """A unique string per personal field of one account."""
    return {name: f"{tag}{name}Q7" for name in FIELDS}


def history(app: PichrApplication, blobs: FilesystemBlobStore, tag: str) -> dict[str, Any]:
    """An account with a key, two uploads (one edited, one quarantined), an album (edited)."""
    s = strings(tag)
    identity = Identity(app)
    account, _ = identity.create_account("operator", f"{s['mail']}@example.com", "free")
    key = identity.create_key("operator", account.account_id, s["keyname"], ["read"], None)
    who = new_owner(account.account_id)
    uploads, files = Uploads(app, blobs), FileCommands(app)
    made = []
    for n in range(2):
        data = image_bytes("JPEG", (20 + n, 20), seed=n + len(tag))
        req = UploadRequest(
            f"{s['filename']}{n}.jpg", "image/jpeg", len(data), title=s["title"],
            description=s["descr"], tags=(s["tag"],),
        )  # fmt: skip
        presigned = uploads.presign(who, req)
        uploads.store(who, presigned.file_id, None, io.BytesIO(data))
        uploads.finalize(who, presigned.upload_id, presigned.file_id, None, None)
        made.append(presigned.file_id)
    changes = {"title": s["title2"], "description": s["descr2"], "tags": [s["tag2"]]}
    files.update(who, made[0], changes)
    quarantine = lambda f: f.quarantine(actor="mod", report_id="rep_x", reason="csam")  # noqa: E731
    app.change(File, ids.FILE, made[1], quarantine)
    albums = AlbumCommands(app)
    draft = AlbumDraft(s["albumtitle"], s["albumdescr"], "public", [s["albumtag"]], made[:1], None)
    album_id, _ = albums.create(who, draft)
    albums.update(who, album_id, {"title": s["albumtitle2"]})
    return {"account": account.account_id, "key": key.key_id, "files": made, "album": album_id}


def every_table_as_text(database_url: str) -> str:
    """Every row of every table of the database, as PostgreSQL prints it (bytea in hex)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT quote_ident(table_name) FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        ).fetchall()]  # fmt: skip
        return "\n".join(
            str(row[0])
            for table in tables
            for row in conn.execute(f"SELECT t::text FROM {table} t").fetchall()
        )


def raw_events(database_url: str) -> list[bytes]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT state FROM {EVENTS_TABLE}").fetchall()
    return [bytes(row[0]) for row in rows]


def decoded_events(app: PichrApplication) -> str:
    """Every event as the library decodes it (through the app's mapper)."""
    stored = app.recorder.select_notifications(start=1, limit=10**6)
    return "\n".join(repr(vars(app.mapper.to_domain_event(n))) for n in stored)


def found(text: str, raw: list[bytes], s: dict[str, str]) -> list[str]:
    """The strings of `s` that occur in `text` (plain or hex) or in the raw bytes."""
    blob = b"\n".join(raw)
    return [
        v
        for v in s.values()
        if v in text or v.encode().hex() in text or v.encode() in blob or v.lower() in text
    ]


def test_an_erased_account_leaves_nothing_personal_and_the_other_stays_intact(
    database_url: str, app: PichrApplication, tmp_path: Path
) -> None:
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    gone, kept = history(app, blobs, "erasemeAlpha"), history(app, blobs, "keepmeBravo")
    gone_s, kept_s = strings("erasemeAlpha"), strings("keepmeBravo")
    catch_up_all(database_url)

    report = erasure(app, blobs, database_url).erase("operator", gone["account"], "art. 17")
    catch_up_all(database_url)

    assert report.evidence_kept == [gone["files"][1]]  # quarantined: its bytes are evidence
    assert report.files_deleted == [gone["files"][0]]
    assert report.files_purged == [gone["files"][0]]
    assert report.albums_deleted == [gone["album"]]
    assert report.keys_erased == 5  # the account, its key, two files, the album
    tables, raw = every_table_as_text(database_url), raw_events(database_url)
    assert found(tables, raw, gone_s) == []
    assert found(decoded_events(app), [], gone_s) == []
    # The read models hold the fields' current values: all but the album's first title.
    assert found(tables, [], kept_s) == [v for k, v in kept_s.items() if k != "albumtitle"]
    assert found(decoded_events(app), [], kept_s) == list(kept_s.values())
    keys = "\n".join(blobs.keys(""))
    assert found(keys, [], gone_s) == []
    assert found(keys, [], kept_s) == []
    assert any(gone["files"][1] in k for k in keys.split())  # the evidence, still stored

    exported = b"\n".join(msgspec.json.encode(e) for e in stream(database_url, 0, None)).decode()
    assert found(exported, [], gone_s) == []
    assert b"AccountErased" in exported.encode()

    audit = repr(file_history(app, gone["files"][1], report_index(app)))
    audit += repr(file_as_of(app, gone["files"][1], app.clock()))
    assert found(audit, [], gone_s) == []
    assert "FileQuarantined" in audit
    assert ERASED in audit
    kept_audit = repr(file_history(app, kept["files"][0], report_index(app)))
    assert kept_s["filename"] + "0.jpg" in kept_audit
    assert kept_s["title2"] in kept_audit

    account = app.load(Account, ids.ACCOUNT, gone["account"])
    assert (account.email, account.deleted, account.erased) == (ERASED, True, True)
    with pytest.raises(GoneError):
        erasure(app, blobs, database_url).erase("operator", gone["account"], "again")

    live = live_checksums(database_url)
    for projection in all_projections():
        rebuild(database_url, projection)
    assert live_checksums(database_url) == live
