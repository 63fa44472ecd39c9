"""The moderators' queue and the blocklist fold each event into a statement: real events, as
the log holds them, into the statements and values they lead to (projections/views/reports.py,
blocklist.py; what the tables then hold is checked on PostgreSQL in the integration tier)."""

from __future__ import annotations

from typing import Any

from pichr.domain.reports import Report
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.blocklist import BlocklistProjection
from pichr.projections.views.reports import ReportsProjection
from tests.support.aggregates import PHASH, SHA256, analysis, ready_file
from tests.support.cursor import RecordingCursor, Statement
from tests.support.log import EventLog


def applied(
    projection: Any, events: list[LoggedEvent], unhashed: list[str] | None = None
) -> list[Statement]:
    """The statements; `unhashed`: the blocklist entries still without a perceptual hash."""
    cur = RecordingCursor({"blocklist": [(f,) for f in unhashed or []]})
    projection.apply(cur, events, "")
    return cur.statements


def new_report(file_id: str, reason: str = "csam") -> Report:
    return Report.file(
        report_id="rep_r", actor="anonymous", file_id=file_id, reason=reason, details="seen",
        has_email=True,
    )  # fmt: skip


def test_a_report_s_life_folds_into_its_queue_row() -> None:
    log, file = EventLog(), ready_file()
    log.record(file)
    report = new_report(file.file_id)
    file.quarantine(actor="system", report_id="rep_r", reason="csam")
    report.resolve(actor="mod_m", action="remove", reason="confirmed")
    report.erase_email(actor="system")
    filed, resolved, erased, quarantined = events = log.record(report, file)
    assert [e.topic for e in events] == [
        "pichr.report.ReportFiled.v1", "pichr.report.ReportResolved.v1",
        "pichr.report.ReporterEmailErased.v1", "pichr.file.FileQuarantined.v1",
    ]  # fmt: skip
    assert applied(ReportsProjection(), events) == [
        Statement("INSERT", "report_list", ("rep_r", file.file_id, "csam", "seen", 0, True,
                                            filed.timestamp, filed.position)),
        Statement("UPDATE", "report_list", (resolved.timestamp, "remove", "confirmed", "mod_m",
                                            resolved.position, "rep_r")),
        Statement("UPDATE", "report_list", (erased.position, "rep_r")),
        Statement("UPDATE", "report_list", (quarantined.position, "rep_r")),
    ]  # fmt: skip


def test_quarantined_and_banned_files_enter_the_blocklist_with_their_hashes() -> None:
    log, held, banned = EventLog(), ready_file(), ready_file()
    banned.record_analysis(actor="worker", result=analysis())
    log.record(held, banned)
    held.quarantine(actor="system", report_id="rep_q", reason="csam")
    banned.ban(actor="mod", report_id="rep_b", reason="confirmed", category="violence")
    quarantined, removed = events = log.record(held, banned)
    assert applied(BlocklistProjection(), events) == [
        Statement("INSERT", "blocklist", (held.file_id, SHA256, None, "quarantined", "csam",
                                          "rep_q", quarantined.timestamp, quarantined.position)),
        Statement("INSERT", "blocklist", (banned.file_id, SHA256, PHASH, "banned", "violence",
                                          "rep_b", removed.timestamp, removed.position)),
    ]  # fmt: skip


def test_a_restore_takes_the_entry_out() -> None:
    log, file = EventLog(), ready_file()
    file.quarantine(actor="system", report_id="rep_q", reason="csam")
    log.record(file)
    file.restore(actor="mod", report_id="rep_q", reason="a mistake")
    assert applied(BlocklistProjection(), log.record(file)) == [
        Statement("DELETE", "blocklist", (file.file_id,))
    ]


def test_an_analysis_gives_its_hash_only_to_an_entry_without_one() -> None:
    log, entry, other = EventLog(), ready_file(), ready_file()
    log.record(entry, other)
    entry.record_analysis(actor="worker", result=analysis("a1" * 8))
    other.record_analysis(actor="worker", result=analysis("b2" * 8))
    analyzed, _ = events = log.record(entry, other)
    assert applied(BlocklistProjection(), events, unhashed=[entry.file_id]) == [
        Statement("SELECT", "blocklist", None),  # the entries without a hash, once per batch
        Statement("UPDATE", "blocklist", ("a1" * 8, analyzed.position, entry.file_id)),
    ]


def test_a_file_quarantined_before_its_analysis_gets_the_hash_in_the_same_batch() -> None:
    log, file, first = EventLog(), ready_file(), ready_file()
    log.record(file, first)
    first.record_analysis(actor="worker", result=analysis("b2" * 8))
    file.quarantine(actor="system", report_id="rep_q", reason="csam")
    file.record_analysis(actor="worker", result=analysis("a1" * 8))
    _, quarantined, analyzed = events = log.record(first, file)
    statements = applied(BlocklistProjection(), events)  # nothing unhashed when the batch began
    assert [(s.verb, s.params[0] if s.params else None) for s in statements] == [
        ("SELECT", None), ("INSERT", file.file_id), ("UPDATE", "a1" * 8)
    ]  # fmt: skip
    assert statements[-1].params == ("a1" * 8, analyzed.position, file.file_id)
    assert quarantined.position < analyzed.position
