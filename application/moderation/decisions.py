"""Moderators' decisions: a report is resolved and its file changed in one save.

Actions: `dismiss` (the file stays as it is), `restrict` (age-restricted, served again if it
was held), `remove` (banned: 410, its hashes blocklisted), `restore` (quarantine, ban and
restriction lifted). Each records ReportResolved with the moderator and the reason, and the
file's own event (FileRestored, AgeRestricted, FileBanned) with the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import psycopg

from pichr.application.moderation.reports import Contacts, Reports
from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.errors import ConflictError
from pichr.domain.files import File
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.reports import Report, check_decision

RETRIES = 3


@dataclass(frozen=True, slots=True)
class Decision:
    report_id: str
    file_id: str
    action: str
    file_changed: bool  # False: the file already was as the action leaves it
    position: int


def _dismiss(file: File, report: Report, actor: str, reason: str) -> bool:
    return False


def _restrict(file: File, report: Report, actor: str, reason: str) -> bool:
    lifted = file.held and file.restore(actor=actor, report_id=report.report_id, reason=reason)
    restricted = file.restrict(actor=actor, report_id=report.report_id, reason=reason)
    return lifted or restricted


def _remove(file: File, report: Report, actor: str, reason: str) -> bool:
    return file.ban(actor=actor, report_id=report.report_id, reason=reason, category=report.reason)


def _restore(file: File, report: Report, actor: str, reason: str) -> bool:
    return file.restore(actor=actor, report_id=report.report_id, reason=reason)


ACTIONS: dict[str, Callable[[File, Report, str, str], bool]] = {
    "dismiss": _dismiss,
    "restrict": _restrict,
    "remove": _remove,
    "restore": _restore,
}


class Moderation:
    def __init__(self, app: PichrApplication, contacts: Contacts | None = None) -> None:
        self.app = app
        self.reports = Reports(app, contacts)

    def resolve(self, actor: str, report_id: str, action: str, reason: str) -> Decision:
        """400 for an unknown action or no reason, 404 for no report, 409 when resolved."""
        check_decision(action, reason)
        reason = reason.strip()
        for attempt in range(RETRIES):
            report = self.app.load(Report, ids.REPORT, report_id)
            report.resolve(actor=actor, action=action, reason=reason)
            file = self.app.load(File, ids.FILE, report.file_id)
            changed = ACTIONS[action](file, report, actor, reason)
            try:
                position = self.app.commit(report, *([file] if changed else []))
            except ConflictError:  # a concurrent decision or file change: decide again
                if attempt == RETRIES - 1:
                    raise
                continue
            return Decision(report_id, report.file_id, action, changed, position)
        raise AssertionError("unreachable")


# -- time to action, from the log (`pichr moderation report`) --------------------------------

FILED = "pichr.report.ReportFiled.v1"
RESOLVED = "pichr.report.ReportResolved.v1"
_ACTED = ("FileQuarantined", "FileBanned", "AgeRestricted", "FileRestored")
FILE_ACTIONS = tuple(f"pichr.file.{name}.v1" for name in _ACTED)
STATS_SQL = (
    f"SELECT originator_id, topic, state FROM {EVENTS_TABLE} WHERE topic = ANY(%s)"
    " ORDER BY notification_id"
)
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def time_to_action(database_url: str, now: datetime) -> dict[str, Any]:
    """Per priority: how long reports waited from ReportFiled to their first action (an
    automatic quarantine or a moderator's decision): median, p90 and max seconds."""
    filed: dict[str, tuple[int, datetime]] = {}
    acted: dict[str, datetime] = {}
    with psycopg.connect(database_url) as conn, conn.cursor(name="pichr_moderation") as cur:
        cur.itersize = 5000
        cur.execute(STATS_SQL, ([FILED, RESOLVED, *FILE_ACTIONS],))
        for originator, topic, state in cur:
            data = _decode(state)
            at = _time(data)
            if topic == FILED:
                filed[data["report_id"]] = (int(data["priority"]), at)
                continue
            report_id = data.get("report_id") or ids.to_public(ids.REPORT, originator)
            acted.setdefault(report_id, at)  # log order: the first action wins
    return {"generatedAt": now.isoformat(), "priorities": _by_priority(filed, acted, now)}


def _by_priority(
    filed: dict[str, tuple[int, datetime]], acted: dict[str, datetime], now: datetime
) -> dict[str, Any]:
    waits: dict[int, list[float]] = {}
    pending: dict[int, list[float]] = {}
    for report_id, (priority, at) in filed.items():
        waits.setdefault(priority, [])
        pending.setdefault(priority, [])
        if report_id in acted:
            waits[priority].append(max(0.0, (acted[report_id] - at).total_seconds()))
        else:
            pending[priority].append((now - at).total_seconds())
    out = {}
    for priority in sorted(waits):
        done = sorted(waits[priority])
        out[str(priority)] = {
            "reports": len(done) + len(pending[priority]),
            "actioned": len(done),
            "waiting": len(pending[priority]),
            "medianSeconds": _rank(done, 0.5),
            "p90Seconds": _rank(done, 0.9),
            "maxSeconds": done[-1] if done else None,
            "oldestWaitingSeconds": max(pending[priority], default=None),
        }
    return out


def _rank(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values (the median of two is the lower one)."""
    if not values:
        return None
    return values[max(0, math.ceil(q * len(values)) - 1)]


def _time(data: dict[str, Any]) -> datetime:
    stamp = data["timestamp"]
    return datetime.fromisoformat(str(stamp["_data_"] if isinstance(stamp, dict) else stamp))
