"""Filing reports, and the reporter's e-mail kept apart from the event log.

The e-mail lives in `report_contacts` (same database, never a read model, never an event), so it
can be erased while the report and its history stay. Only the admin report route reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError, ProgrammingError

from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.access import check_reportable
from pichr.domain.errors import ConflictError
from pichr.domain.files import File
from pichr.domain.reports import Report

AUTO = "system:moderation"  # the actor of actions the policy takes by itself (quarantine)
RETRIES = 3
CONTACTS_DDL = (
    "CREATE TABLE IF NOT EXISTS report_contacts (report_id text PRIMARY KEY,"
    " email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


@contextmanager
def app_cursor(app: PichrApplication, *, commit: bool = False) -> Iterator[Any]:
    """A cursor on the event store's own database (its pool); None on the in-memory store.
    Without `commit` it runs in autocommit, for reads: a transaction ended by ROLLBACK would
    also discard every statement that connection had prepared (psycopg's DEALLOCATE ALL)."""
    datastore = getattr(app.recorder, "datastore", None)
    if datastore is None:
        yield None
        return
    if not commit:
        with datastore.cursor() as cur:
            yield cur
        return
    with datastore.transaction(commit=True) as cur:
        yield cur


class Contacts(Protocol):
    """Where reporters' e-mails are kept (personal data: erasable, never in the log)."""

    def add(self, report_id: str, email: str) -> None: ...

    def remove(self, report_id: str) -> bool: ...

    def get(self, report_id: str) -> str | None: ...


class MemoryContacts:
    def __init__(self) -> None:
        self.emails: dict[str, str] = {}

    def add(self, report_id: str, email: str) -> None:
        self.emails[report_id] = email

    def remove(self, report_id: str) -> bool:
        return self.emails.pop(report_id, None) is not None

    def get(self, report_id: str) -> str | None:
        return self.emails.get(report_id)


class SqlContacts:
    """`report_contacts` in the event store's database, through the application's pool."""

    def __init__(self, app: PichrApplication) -> None:
        self.app = app
        self._ready = False

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        self._ensure_table()
        with app_cursor(self.app, commit=True) as cur:
            cur.execute(sql, args)
            return list(cur.fetchall()) if cur.description else []

    def _ensure_table(self) -> None:
        for attempt in range(2):  # processes starting together may race on the DDL once
            if self._ready:
                return
            try:
                with app_cursor(self.app, commit=True) as cur:
                    cur.execute(CONTACTS_DDL)
                self._ready = True
            except (IntegrityError, ProgrammingError):
                if attempt:
                    raise

    def add(self, report_id: str, email: str) -> None:
        self._run(
            "INSERT INTO report_contacts (report_id, email) VALUES (%s, %s)", (report_id, email)
        )

    def remove(self, report_id: str) -> bool:
        sql = "DELETE FROM report_contacts WHERE report_id = %s RETURNING report_id"
        return bool(self._run(sql, (report_id,)))

    def get(self, report_id: str) -> str | None:
        rows = self._run("SELECT email FROM report_contacts WHERE report_id = %s", (report_id,))
        return str(rows[0]["email"]) if rows else None


def contacts_for(app: PichrApplication) -> Contacts:
    return SqlContacts(app) if getattr(app.recorder, "datastore", None) else MemoryContacts()


@dataclass(frozen=True, slots=True)
class FiledReport:
    report_id: str
    priority: int
    quarantined: bool  # this report withheld the file at once
    position: int


class Reports:
    def __init__(self, app: PichrApplication, contacts: Contacts | None = None) -> None:
        self.app = app
        self.contacts = contacts or contacts_for(app)

    def file(
        self, actor: str, file_id: str, reason: str, details: str | None, email: str | None
    ) -> FiledReport:
        """ReportFiled (and FileQuarantined for csam/terrorism) in one save; the e-mail beside."""
        report_id = ids.to_public(ids.REPORT, ids.new_uuid())
        report = Report.file(report_id=report_id, actor=actor, file_id=file_id, reason=reason,
                             details=details or None, has_email=bool(email))  # fmt: skip
        reportable(self.app, file_id)  # 404/410 before any personal data is written
        if email:
            self.contacts.add(report_id, email)
        try:
            return self._commit(report, file_id)
        except BaseException:
            if email:  # no report, so no reason to keep the address
                self.contacts.remove(report_id)
            raise

    def _commit(self, report: Report, file_id: str) -> FiledReport:
        for attempt in range(RETRIES):
            file = reportable(self.app, file_id)
            quarantined = report.quarantines and file.quarantine(
                actor=AUTO, report_id=report.report_id, reason=report.reason
            )
            try:
                position = self.app.commit(report, *([file] if quarantined else []))
                return FiledReport(report.report_id, report.priority, quarantined, position)
            except ConflictError:  # the file changed meanwhile: decide again on its new state
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def erase_email(self, actor: str, report_id: str) -> tuple[bool, int]:
        """Delete the reporter's e-mail, then record that it was erased (the report stays)."""
        self.app.load(Report, ids.REPORT, report_id)  # 404 for unknown reports
        removed = self.contacts.remove(report_id)
        position = self.app.change(
            Report, ids.REPORT, report_id, lambda r: r.erase_email(actor=actor)
        )
        return removed or position > 0, position

    def email(self, report_id: str) -> str | None:
        return self.contacts.get(report_id)


def reportable(app: PichrApplication, file_id: str) -> File:
    """A published file anyone could have seen: 404 otherwise (existence never leaks), 410 when
    deleted or expired. Held files can still be reported: reports on a quarantined file add up,
    and a report on a removed one is how its owner appeals (a moderator may `restore` it)."""
    file = app.load(File, ids.FILE, file_id)
    check_reportable(file.facts(), published=file.finalized_at is not None)
    return file


class ReportsOfFile(Protocol):
    """The reports read model, asked (projections/queries/for_commands.py answers)."""

    def report_ids(self, file_id: str) -> list[str]:
        """The reports naming the file, oldest first (none before the read model exists)."""
        ...
