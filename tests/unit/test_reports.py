"""Reports and moderators' decisions on the in-memory event store: what each one records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.moderation.decisions import Moderation
from pichr.application.moderation.reports import AUTO, MemoryContacts
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.errors import (
    ConflictError,
    GoneError,
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
)
from pichr.domain.files import File
from pichr.domain.reports import Report, priority_of
from tests.support.builders import image_bytes, memory_app, new_owner, upload

MODERATOR = "key_moderator"
EMAIL = "reporter-7f3a@example.org"


class World:
    def __init__(self) -> None:
        self.app: PichrApplication = memory_app()
        self.uploads = Uploads(self.app, InMemoryBlobStore())
        self.files = FileCommands(self.app, self.uploads.quotas)
        self.contacts = MemoryContacts()
        self.moderation = Moderation(self.app, self.contacts)
        self.alice = new_owner()

    def published(self, seed: int = 0, **fields: object) -> str:
        return upload(self.uploads, self.alice, image_bytes(seed=seed), **fields).file_id

    def file(self, file_id: str) -> File:
        return self.app.load(File, ids.FILE, file_id)

    def topics(self) -> list[str]:
        found = self.app.recorder.select_notifications(start=1, limit=10_000)
        return [n.topic for n in found if not n.topic.startswith("pichr.quota.")]

    def report(self, file_id: str, reason: str, email: str | None = None) -> str:
        filed = self.moderation.reports.file("anonymous", file_id, reason, "details", email)
        return filed.report_id


@pytest.fixture
def w() -> World:
    return World()


def test_priorities_put_csam_and_terrorism_first_then_harm_to_people() -> None:
    assert [priority_of(r) for r in ("csam", "terrorism")] == [0, 0]
    assert {priority_of(r) for r in ("violence", "self_harm", "hate_speech", "harassment")} == {1}
    assert {priority_of(r) for r in ("adult_content", "spam", "copyright", "other")} == {2}


def test_a_csam_report_quarantines_the_file_in_the_same_save(w: World) -> None:
    file_id = w.published(expires_in=1)
    filed = w.moderation.reports.file("anonymous", file_id, "csam", None, None)
    assert (filed.priority, filed.quarantined) == (0, True)
    assert w.topics()[-2:] == ["pichr.report.ReportFiled.v1", "pichr.file.FileQuarantined.v1"]
    file = w.file(file_id)
    far_future = datetime.now(UTC) + timedelta(days=9000)
    assert (file.hold, file.purgeable, file.expire(now=far_future)) == ("quarantined", False, False)
    with pytest.raises(LegalHoldError):
        w.files.delete(w.alice, file_id, None)  # the owner cannot make the evidence go
    assert w.topics()[-1] == "pichr.file.FileQuarantined.v1"  # the refusal recorded nothing


def test_other_reasons_wait_for_review(w: World) -> None:
    file_id = w.published()
    filed = w.moderation.reports.file("anonymous", file_id, "spam", None, None)
    assert (filed.priority, filed.quarantined, w.file(file_id).hold) == (2, False, None)


def test_the_email_stays_out_of_every_event_and_can_be_erased(w: World) -> None:
    report_id = w.report(w.published(), "violence", EMAIL)
    assert w.contacts.get(report_id) == EMAIL
    log = w.app.recorder.select_notifications(start=1, limit=10_000)
    assert all(EMAIL.encode() not in n.state for n in log)
    assert w.moderation.reports.erase_email(MODERATOR, report_id)[0] is True
    assert w.contacts.get(report_id) is None
    assert w.app.load(Report, ids.REPORT, report_id).has_email is False
    assert w.topics()[-1] == "pichr.report.ReporterEmailErased.v1"
    assert w.moderation.reports.erase_email(MODERATOR, report_id)[0] is False  # nothing left


def test_reports_need_a_known_reason_and_a_file_others_could_see(w: World) -> None:
    with pytest.raises(InvalidInputError) as bad:
        w.report(w.published(), "boredom")
    assert bad.value.details["field"] == "reason"
    with pytest.raises(NotFoundError):
        w.report(ids.to_public(ids.FILE, ids.new_uuid()), "spam")
    with pytest.raises(NotFoundError):
        w.report(w.published(seed=1, visibility="private"), "spam")
    deleted = w.published(seed=2)
    w.files.delete(w.alice, deleted, None)
    with pytest.raises(GoneError):
        w.report(deleted, "spam")


def test_each_action_records_the_moderator_and_the_reason_on_report_and_file(w: World) -> None:
    file_id = w.published()
    removed = w.moderation.resolve(MODERATOR, w.report(file_id, "copyright"), "remove", "DMCA #1")
    assert (removed.file_changed, w.file(file_id).hold) == (True, "banned")
    restored = w.moderation.resolve(MODERATOR, w.report(file_id, "other"), "restore", "counter")
    assert (restored.file_changed, w.file(file_id).hold) == (True, None)
    w.moderation.resolve(MODERATOR, w.report(file_id, "adult_content"), "restrict", "nudity")
    assert w.file(file_id).age_restricted
    dismissed = w.moderation.resolve(MODERATOR, w.report(file_id, "spam"), "dismiss", "not spam")
    assert dismissed.file_changed is False
    log = w.app.recorder.select_notifications(start=1, limit=10_000)
    decisions = [json.loads(n.state) for n in log if n.topic.endswith(
        ("ReportResolved.v1", "FileBanned.v1", "FileRestored.v1", "AgeRestricted.v1"))]  # fmt: skip
    assert [(d["actor"], d["reason"]) for d in decisions] == [
        (MODERATOR, "DMCA #1"), (MODERATOR, "DMCA #1"), (MODERATOR, "counter"),
        (MODERATOR, "counter"), (MODERATOR, "nudity"), (MODERATOR, "nudity"),
        (MODERATOR, "not spam"),
    ]  # fmt: skip


def test_restricting_a_quarantined_file_lifts_the_quarantine_first(w: World) -> None:
    file_id = w.published()
    report_id = w.report(file_id, "terrorism")
    assert w.file(file_id).hold == "quarantined"
    w.moderation.resolve(MODERATOR, report_id, "restrict", "war reporting, graphic")
    file = w.file(file_id)
    assert (file.hold, file.age_restricted) == (None, True)
    assert w.topics()[-3:] == [
        "pichr.report.ReportResolved.v1",
        "pichr.file.FileRestored.v1",
        "pichr.file.AgeRestricted.v1",
    ]


def test_bad_decisions_are_refused_and_record_nothing(w: World) -> None:
    report_id = w.report(w.published(), "spam")
    before = len(w.topics())
    for action, reason, field in (("remove", "  ", "reason"), ("burn", "why", "action")):
        with pytest.raises(InvalidInputError) as bad:
            w.moderation.resolve(MODERATOR, report_id, action, reason)
        assert bad.value.details["field"] == field
    with pytest.raises(NotFoundError):
        w.moderation.resolve(MODERATOR, "rep_1111", "dismiss", "why")
    assert len(w.topics()) == before
    w.moderation.resolve(MODERATOR, report_id, "dismiss", "fine")
    with pytest.raises(ConflictError):
        w.moderation.resolve(MODERATOR, report_id, "remove", "changed my mind")


def test_the_automatic_quarantine_names_the_policy_as_its_actor(w: World) -> None:
    file_id = w.published()
    w.report(file_id, "csam")
    log = w.app.recorder.select_notifications(start=1, limit=10_000)
    quarantine = json.loads(next(n.state for n in log if n.topic.endswith("FileQuarantined.v1")))
    assert (quarantine["actor"], quarantine["reason"]) == (AUTO, "csam")
    assert quarantine["sha256"] == w.file(file_id).stored["sha256"]
