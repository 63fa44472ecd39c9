"""Held files on the real PostgreSQL and filesystem blobs: every clean-up job, run with a clock
ten years ahead, leaves quarantined and banned files' bytes in place; the moderation read
models fold the log and a rebuild gives the same tables."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.cleanup.jobs import Cleanup, abandon_stale, purge_due, sweep_orphans
from pichr.application.files.commands import FileCommands
from pichr.application.moderation.audit import file_history
from pichr.application.moderation.decisions import Moderation
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.files import File
from pichr.projections.log.replay import rebuild
from pichr.projections.queries.for_commands import FileCandidates
from pichr.projections.views.blocklist import BlocklistProjection
from pichr.projections.views.reports import ReportsProjection
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.compose import report_index
from tests.integration.helpers import catch_up_all, file_row, live_checksums, make_app
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration
MODERATOR = "key_moderator"
FAR = timedelta(days=3650)


def derived(blobs: FilesystemBlobStore, file_id: str, phash: str) -> dict[str, object]:
    """ImageAnalyzed's fields, with its derived blobs really written."""
    for key in (f"derived/{file_id}/rendition", f"derived/{file_id}/thumbnail.webp"):
        blobs.put(key, io.BytesIO(b"derived"))
    return {
        "width": 40, "height": 30, "frames": 1, "phash": phash, "nsfw_score": 0.1,
        "model": "test", "rendition_key": f"derived/{file_id}/rendition", "rendition_size": 7,
        "rendition_mime": "image/jpeg", "rendition_sha256": "0" * 64,
        "thumbnail_key": f"derived/{file_id}/thumbnail.webp", "thumbnail_size": 7,
        "thumbnail_sha256": "0" * 64,
    }  # fmt: skip


def test_held_bytes_survive_every_clean_up_job_and_the_read_models_agree(
    database_url: str, tmp_path: Path
) -> None:
    ensure_all(database_url)
    app, blobs, alice = make_app(database_url), FilesystemBlobStore(tmp_path / "blobs"), new_owner()
    uploads = Uploads(app, blobs)
    files, moderation = FileCommands(app, uploads.quotas), Moderation(app)
    made = {
        name: upload(uploads, alice, image_bytes(seed=seed), expires_in=1).file_id
        for seed, name in enumerate(("quarantined", "banned", "deleted_then_banned", "control"))
    }
    csam = moderation.reports.file("anonymous", made["quarantined"], "csam", None, None)
    catch_up_all(database_url)  # its blocklist entry first has no phash: analysis comes later
    for seed, file_id in enumerate(made.values()):
        fields = derived(blobs, file_id, f"{seed + 1:016x}")
        app.change(
            File, ids.FILE, file_id, lambda f, r=fields: f.record_analysis(actor="w", result=r)
        )
    spam = moderation.reports.file("anonymous", made["banned"], "copyright", None, None).report_id
    moderation.resolve(MODERATOR, spam, "remove", "DMCA notice 17")
    late = moderation.reports.file("anonymous", made["deleted_then_banned"], "spam", None, None)
    files.delete(alice, made["deleted_then_banned"], None)
    moderation.resolve(MODERATOR, late.report_id, "remove", "spam farm, keep the evidence")
    files.delete(alice, made["control"], None)
    present = set(blobs.keys())  # blob_keys() also names presign's key, where nothing was put
    kept = {k for n in made if n != "control" for k in file_of(app, made[n]).blob_keys()} & present
    gone = set(file_of(app, made["control"]).blob_keys()) & present
    assert (len(kept), len(gone)) == (9, 3)  # the original and two derived blobs each

    far = datetime.now(UTC) + FAR
    app.clock = lambda: far  # expiry, too, is asked ten years on
    assert [files.expire(file_id) for file_id in made.values()][:3] == [0, 0, 0]
    catch_up_all(database_url)
    cleanup = Cleanup(app, blobs, uploads.quotas, database_url, FileCandidates(database_url))
    for job in (abandon_stale, purge_due, sweep_orphans):
        job(cleanup, far)
    assert kept <= set(blobs.keys())
    assert not gone & set(blobs.keys())  # the jobs did run: the control file's bytes went
    assert all(not file_of(app, made[n]).purged for n in made if n != "control")

    catch_up_all(database_url)
    statuses = {name: (file_row(database_url, made[name]) or {}).get("status") for name in made}
    assert statuses == {"quarantined": "quarantined", "banned": "banned",
                        "deleted_then_banned": "banned", "control": "deleted"}  # fmt: skip
    with psycopg.connect(database_url) as conn:
        queue = conn.execute("SELECT id, priority, status, quarantined FROM report_list"
                             " ORDER BY priority, created_at").fetchall()  # fmt: skip
        entries = conn.execute(
            "SELECT file_id, kind, phash FROM blocklist ORDER BY kind"
        ).fetchall()
    assert queue[0] == (csam.report_id, 0, "pending", True)
    assert sorted(q[2] for q in queue[1:]) == ["resolved", "resolved"]
    assert {(e[0], e[1]) for e in entries} == {
        (made["banned"], "banned"), (made["deleted_then_banned"], "banned"),
        (made["quarantined"], "quarantined"),
    }  # fmt: skip
    assert {e[0]: e[2] for e in entries}[made["quarantined"]] == f"{1:016x}"  # from the analysis

    before = live_checksums(database_url)
    for projection in (ReportsProjection(), BlocklistProjection()):
        rebuild(database_url, projection)
    assert live_checksums(database_url) == before

    moderation.resolve(MODERATOR, csam.report_id, "restore", "a false report")
    history = file_history(app, made["quarantined"], report_index(app))
    kinds = [h["type"].split(".")[-2] for h in history]
    assert kinds.index("FileQuarantined") < kinds.index("ImageAnalyzed")
    moderation_events = [h for h in history if h["type"].split(".")[-2] != "ImageAnalyzed"]
    tail = [(h["type"].split(".")[-2], h["actor"], h["reason"]) for h in moderation_events[-4:]]
    assert tail == [
        ("ReportFiled", "anonymous", "csam"),
        ("FileQuarantined", "system:moderation", "csam"),
        ("ReportResolved", MODERATOR, "a false report"),
        ("FileRestored", MODERATOR, "a false report"),
    ]
    app.close()


def file_of(app: object, file_id: str) -> File:
    assert hasattr(app, "load")
    found: File = app.load(File, ids.FILE, file_id)
    return found
