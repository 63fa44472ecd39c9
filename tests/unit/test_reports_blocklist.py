"""The blocklist refuses uploads of removed or quarantined images: exact at finalize, close
ones when the analysis lands (in the same save as ImageAnalyzed)."""

from __future__ import annotations

import io

import pytest

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.moderation.blocklist import Entry, MemoryBlocklist, Screener, distance
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.errors import LegalHoldError
from pichr.domain.files import File
from tests.support.builders import image_bytes, memory_app, new_owner, upload

BANNED = "file_banned"
PHASH = "8f3c0e1a2b4d6f70"


def test_matches_are_exact_by_sha256_else_the_closest_phash_within_the_distance() -> None:
    near = f"{int(PHASH, 16) ^ 0b111:016x}"  # three bits away
    blocklist = MemoryBlocklist(4, [Entry(BANNED, "ab" * 32, PHASH, "rep_1")])
    exact = blocklist.match("ab" * 32, None, "file_new")
    assert exact is not None
    assert (exact.kind, exact.distance, exact.report_id) == ("exact", 0, "rep_1")
    similar = blocklist.match("cd" * 32, near, "file_new")
    assert similar is not None
    assert (similar.kind, similar.distance) == ("similar", 3)
    far = f"{int(PHASH, 16) ^ 0b11111:016x}"
    assert distance(PHASH, far) == 5
    assert blocklist.match("cd" * 32, far, "file_new") is None
    assert blocklist.match("ab" * 32, PHASH, BANNED) is None  # an entry never matches itself


def test_finalize_refuses_bytes_equal_to_a_blocked_image_and_records_it() -> None:
    app, blobs, who = memory_app(), InMemoryBlobStore(), new_owner()
    data = image_bytes(seed=5)
    original = upload(Uploads(app, blobs), who, data)
    sha256 = app.load(File, ids.FILE, original.file_id).stored["sha256"]
    blocklist = MemoryBlocklist(8, [Entry(original.file_id, sha256, None, "rep_x")])
    uploads = Uploads(app, blobs, blocklist=blocklist)
    req = UploadRequest(filename="again.jpg", mime="image/jpeg", bytes=len(data))
    made = uploads.presign(who, req)
    stored = uploads.store(who, made.file_id, None, io.BytesIO(data))
    used = uploads.quotas.ledger(str(who.account_id)).used
    for _ in range(2):  # finalize again: still 451, nothing more recorded
        with pytest.raises(LegalHoldError):
            uploads.finalize(who, made.upload_id, made.file_id, None, None)
    file = app.load(File, ids.FILE, made.file_id)
    assert (file.status, file.purgeable) == ("blocked", True)
    events = list(app.repository.event_store.get(file.id))
    assert [type(e).__name__ for e in events][-1] == "UploadBlocked"
    assert [type(e).__name__ for e in events].count("UploadBlocked") == 1
    assert uploads.quotas.ledger(str(who.account_id)).used == used - len(data)
    assert stored.stored_key not in set(blobs.keys())  # the refused bytes are not kept
    assert app.load(File, ids.FILE, original.file_id).status == "ready"


def test_a_close_image_is_blocked_when_its_analysis_lands() -> None:
    app, who = memory_app(), new_owner()
    near = f"{int(PHASH, 16) ^ 1:016x}"
    made = upload(Uploads(app, InMemoryBlobStore()), who, image_bytes(seed=6))
    screen = Screener(MemoryBlocklist(8, [Entry(BANNED, None, PHASH, "rep_y")]), None)
    file = app.load(File, ids.FILE, made.file_id)
    assert file.record_analysis(actor="worker", result=analysis(near))
    assert screen(file, "system:blocklist") == []  # no ledger: Screener got no quotas
    app.commit(file)
    file = app.load(File, ids.FILE, made.file_id)
    assert file.status == "blocked"
    blocked = list(app.repository.event_store.get(file.id))[-1]
    assert (blocked.matched_file_id, blocked.kind, blocked.distance) == (BANNED, "similar", 1)


def test_a_held_file_is_never_blocked_by_another_entry() -> None:
    app, who = memory_app(), new_owner()
    made = upload(Uploads(app, InMemoryBlobStore()), who, image_bytes(seed=7))
    file = app.load(File, ids.FILE, made.file_id)
    assert file.quarantine(actor="system", report_id="rep_z", reason="csam")
    file.record_analysis(actor="worker", result=analysis(PHASH))
    Screener(MemoryBlocklist(8, [Entry(BANNED, None, PHASH)]), None)(file, "system:blocklist")
    assert (file.status, file.hold, file.purgeable) == ("ready", "quarantined", False)


def analysis(phash: str) -> dict[str, object]:
    return {
        "width": 40, "height": 30, "frames": 1, "phash": phash, "nsfw_score": 0.1,
        "model": "test", "rendition_key": "r", "rendition_size": 1, "rendition_mime": "image/webp",
        "rendition_sha256": "0" * 64, "thumbnail_key": "t", "thumbnail_size": 1,
        "thumbnail_sha256": "0" * 64,
    }  # fmt: skip
