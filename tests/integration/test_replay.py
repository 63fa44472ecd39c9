"""Read models rebuilt from the event log equal the live ones, even while events keep coming."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.files.tally import ViewCounter
from pichr.application.identity import Identity
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain.principal import Principal
from pichr.projections.log.replay import rebuild
from pichr.projections.log.runner import ProjectionRunner
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import (
    BulkHistory,
    all_rows,
    catch_up_all,
    file_row,
    live_checksums,
    make_app,
    max_notification_id,
    positions,
)
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration


@pytest.fixture
def app(database_url: str) -> Iterator[PichrApplication]:
    ensure_all(database_url)
    application = make_app(database_url)
    yield application
    application.close()


def account_history(app: PichrApplication) -> str:
    """An account whose plan changed, with three keys, one of them revoked."""
    identity = Identity(app)
    account, _ = identity.create_account("operator", "a@example.com", "free")
    identity.set_plan("operator", account.account_id, "pro")
    for n in range(3):
        key = identity.create_key("operator", account.account_id, f"k{n}", ["read", "upload"], n)
    identity.revoke_key("operator", key.key_id)
    return account.account_id


def rejected_upload(uploads: Uploads, who: Principal) -> None:
    broken = image_bytes("JPEG", (128, 128), seed=99)
    broken = broken[:100] + bytes(len(broken) - 100)  # JPEG magic, undecodable body
    p = uploads.presign(who, UploadRequest("broken.jpg", "image/jpeg", len(broken)))
    uploads.store(who, p.file_id, None, io.BytesIO(broken))
    with pytest.raises(UnsupportedMediaError):
        uploads.finalize(who, p.upload_id, p.file_id, None, None)


def mixed_history(app: PichrApplication, blobs: FilesystemBlobStore) -> dict[str, str]:
    """Uploads of every type, patches, deletes, an expiry, a rejection, tallies, accounts, keys."""
    who = new_owner(account_history(app))
    uploads, files = Uploads(app, blobs), FileCommands(app)
    made = {}
    kinds = [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
    ]
    for n, (fmt, mime) in enumerate(kinds * 2):
        data = image_bytes(fmt, (10 + n, 20 + n), seed=n)
        made[f"{fmt}{n}"] = upload(uploads, who, data, mime=mime, expires_in=n or None).file_id
    ids = list(made.values())
    files.update(who, ids[0], {"title": "t", "tags": ["a", "b"], "visibility": "unlisted"})
    files.update(who, ids[1], {"hotlinkPolicy": "whitelist", "hotlinkWhitelist": ["x.org"]})
    files.update(who, ids[2], {"expiresIn": 48, "description": "d"})
    files.delete(who, ids[3], None)
    uploads.presign(who, UploadRequest("pending.jpg", "image/jpeg", 10))
    rejected_upload(uploads, who)
    counter = ViewCounter(app)
    for n, file_id in enumerate(ids):
        for _ in range(n + 1):
            counter.view(file_id)
        counter.download(file_id)
    counter.view("file_notafile")  # a tally may name a file the read model does not know
    counter.flush()
    counter.view(ids[0])
    counter.flush()
    real = app.clock
    app.clock = lambda: real() + timedelta(hours=1, minutes=1)
    files.expire(ids[1])
    app.clock = real
    return made


def test_rebuild_of_every_projection_equals_the_live_read_model(
    database_url: str, app: PichrApplication, tmp_path: Path
) -> None:
    made = mixed_history(app, FilesystemBlobStore(tmp_path / "blobs"))
    catch_up_all(database_url, batch=3)  # small live batches, one big rebuild batch
    live = live_checksums(database_url)
    statuses = {row["id"]: row["status"] for row in all_rows(database_url)}
    assert sorted(statuses.values()) == sorted(
        ["ready"] * 6 + ["deleted", "expired", "pending", "rejected"]
    )
    first = file_row(database_url, made["JPEG0"])
    assert first is not None
    assert (first["view_count"], first["download_count"], first["title"]) == (2, 1, "t")
    for projection in all_projections():
        assert rebuild(database_url, projection) == max_notification_id(database_url)
    assert live_checksums(database_url) == live
    assert set(positions(database_url).values()) == {max_notification_id(database_url)}


def test_rebuild_repairs_a_damaged_read_model(
    database_url: str, app: PichrApplication, tmp_path: Path
) -> None:
    mixed_history(app, FilesystemBlobStore(tmp_path / "blobs"))
    catch_up_all(database_url)
    live = live_checksums(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM file_listing WHERE status = 'ready'")
        conn.execute("UPDATE accounts SET plan = 'free'")
    assert live_checksums(database_url) != live
    for projection in all_projections():
        rebuild(database_url, projection)
    assert live_checksums(database_url) == live


def keep_writing(
    database_url: str, stop: threading.Event, history: BulkHistory, errors: list[BaseException]
) -> None:
    """Bulk saves with tallies, and single files through the upload and PATCH commands."""
    app = make_app(database_url)
    try:
        uploads, files, who = Uploads(app, InMemoryBlobStore()), FileCommands(app), new_owner()
        n = 0
        while not stop.is_set():
            history.write(app, 20, updates=1)
            file_id = uploads.presign(who, UploadRequest("a.jpg", "image/jpeg", 10)).file_id
            files.update(who, file_id, {"title": f"n{n}"})
            history.titles[file_id], history.views[file_id] = f"n{n}", 0
            n += 1
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)
    finally:
        app.close()


def test_rebuild_while_writers_and_runners_keep_going_ends_equal_to_a_quiet_rebuild(
    database_url: str,
) -> None:
    ensure_all(database_url)
    history = BulkHistory()
    seeder = make_app(database_url)
    for _ in range(15):  # enough history that the rebuild takes a while
        history.write(seeder, 100)
    seeder.close()
    runners = [ProjectionRunner(database_url, p, batch=100) for p in all_projections()]
    followers = [r.start_thread() for r in runners]
    stop, errors = threading.Event(), list[BaseException]()
    writer = threading.Thread(target=keep_writing, args=(database_url, stop, history, errors))
    writer.start()
    try:
        time.sleep(0.3)
        for projection in all_projections():
            before = max_notification_id(database_url)
            rebuild(database_url, projection)
            assert max_notification_id(database_url) > before, "no write overlapped the rebuild"
        time.sleep(0.3)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert errors == []
    last = max_notification_id(database_url)
    deadline = time.monotonic() + 30
    while set(positions(database_url).values()) != {last} and time.monotonic() < deadline:
        time.sleep(0.02)
    for runner in runners:
        runner.stop()
    for follower in followers:
        follower.join(timeout=10)
    assert set(positions(database_url).values()) == {last}
    history.check(database_url)
    live = live_checksums(database_url)
    for projection in all_projections():
        rebuild(database_url, projection)
    assert live_checksums(database_url) == live
