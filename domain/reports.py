"""The Report aggregate: one report about a file, from filing to a moderator's decision.

The reporter's e-mail is personal data and events are kept forever, so it is never in an event:
the application keeps it beside the log (`report_contacts`) and the events only say whether
there is one, and when it was erased.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from pichr.domain import ids
from pichr.domain.errors import ConflictError, InvalidInputError

Reason = Literal[
    "csam",
    "terrorism",
    "adult_content",
    "violence",
    "harassment",
    "hate_speech",
    "self_harm",
    "spam",
    "copyright",
    "other",
]  # the reference's list; the API validates against this type
REASONS: tuple[str, ...] = get_args(Reason)
QUARANTINE = ("csam", "terrorism")  # the file is withheld at once, before any review
# 0: acted on at once and reviewed first; 1: harm to people; 2: everything else.
PRIORITY = {
    **dict.fromkeys(("csam", "terrorism"), 0),
    **dict.fromkeys(("violence", "self_harm", "hate_speech", "harassment"), 1),
}
LOWEST = 2
ACTIONS = ("dismiss", "restrict", "remove", "restore")
MAX_REASON = 2000


def priority_of(reason: str) -> int:
    return PRIORITY.get(reason, LOWEST)


class Report(Aggregate):
    TOPIC = "pichr.report.Report.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.report.Created.v1"

    @event("ReportFiled", topic="pichr.report.ReportFiled.v1")
    def __init__(
        self,
        *,
        report_id: str,
        actor: str,
        file_id: str,
        reason: str,
        details: str | None,
        has_email: bool,
        priority: int,
    ) -> None:
        self.report_id = report_id
        self.file_id = file_id
        self.reason = reason
        self.details = details
        self.has_email = has_email
        self.priority = priority
        self.status = "pending"
        self.action: str | None = None
        self.resolved_at: datetime | None = None

    @staticmethod
    def create_id(report_id: str) -> UUID:
        return ids.to_uuid(ids.REPORT, report_id)

    @classmethod
    def file(
        cls, *, report_id: str, actor: str, file_id: str, reason: str, details: str | None,
        has_email: bool,
    ) -> Report:  # fmt: skip
        if reason not in REASONS:
            raise InvalidInputError("Unknown reason.", field="reason", allowed=list(REASONS))
        return cls(
            report_id=report_id, actor=actor, file_id=file_id, reason=reason, details=details,
            has_email=has_email, priority=priority_of(reason),
        )  # fmt: skip

    @property
    def quarantines(self) -> bool:
        return self.reason in QUARANTINE

    def resolve(self, *, actor: str, action: str, reason: str) -> None:
        """A moderator's decision; the file's own event is recorded beside it."""
        check_decision(action, reason)
        if self.status != "pending":
            raise ConflictError("The report is already resolved.", action=self.action)
        self._resolved(actor=actor, action=action, reason=reason.strip(), file_id=self.file_id)

    @event("ReportResolved", topic="pichr.report.ReportResolved.v1")
    def _resolved(self, *, actor: str, action: str, reason: str, file_id: str) -> None:
        self.status = "resolved"
        self.action = action
        self.resolved_at = self.modified_on

    def erase_email(self, *, actor: str) -> bool:
        """Record that the reporter's e-mail was erased; False when there is none (any more)."""
        if not self.has_email:
            return False
        self._email_erased(actor=actor)
        return True

    @event("ReporterEmailErased", topic="pichr.report.ReporterEmailErased.v1")
    def _email_erased(self, *, actor: str) -> None:
        self.has_email = False


def check_decision(action: str, reason: str) -> None:
    if action not in ACTIONS:
        raise InvalidInputError("Unknown action.", field="action", allowed=list(ACTIONS))
    if not reason or not reason.strip():
        raise InvalidInputError("A moderator's decision needs a reason.", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInputError("The reason is too long.", field="reason", max=MAX_REASON)
