"""The moderators' queue: one row per report, by status, priority and age (no e-mail: only
whether the reporter left one). Folded per event: reports are few."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import Cursor

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent

R = "pichr.report."
COLUMNS = (
    "id", "file_id", "reason", "details", "priority", "status", "has_email", "quarantined",
    "created_at", "resolved_at", "action", "decision_reason", "moderator", "position",
)  # fmt: skip
Fold = Callable[[Cursor[Any], LoggedEvent, str], None]


def _filed(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
    d = e.data
    cur.execute(
        f"INSERT INTO {t} (id, file_id, reason, details, priority, status, has_email,"
        " quarantined, created_at, position) VALUES (%s, %s, %s, %s, %s, 'pending', %s, false,"
        " %s, %s) ON CONFLICT (id) DO NOTHING",
        (d["report_id"], d["file_id"], d["reason"], d["details"], d["priority"], d["has_email"],
         e.timestamp, e.position),
    )  # fmt: skip


def _resolved(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
    d = e.data
    cur.execute(
        f"UPDATE {t} SET status = 'resolved', resolved_at = %s, action = %s,"
        " decision_reason = %s, moderator = %s, position = %s WHERE id = %s",
        (e.timestamp, d["action"], d["reason"], d["actor"], e.position, _report(e)),
    )


def _erased(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
    cur.execute(
        f"UPDATE {t} SET has_email = false, position = %s WHERE id = %s", (e.position, _report(e))
    )


def _quarantined(cur: Cursor[Any], e: LoggedEvent, t: str) -> None:
    cur.execute(
        f"UPDATE {t} SET quarantined = true, position = %s WHERE id = %s",
        (e.position, e.data["report_id"]),
    )


def _report(e: LoggedEvent) -> str:
    return ids.to_public(ids.REPORT, e.originator_id)


FOLDS: dict[str, Fold] = {
    R + "ReportFiled.v1": _filed,
    R + "ReportResolved.v1": _resolved,
    R + "ReporterEmailErased.v1": _erased,
    "pichr.file.FileQuarantined.v1": _quarantined,
}


class ReportsProjection:
    name = "reports"
    tables: tuple[str, ...] = ("report_list",)
    topics: tuple[str, ...] = tuple(FOLDS)  # only these are read from the log

    def create_sql(self, suffix: str) -> list[str]:
        t = f"report_list{suffix}"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (id text PRIMARY KEY, file_id text NOT NULL,"
            " reason text NOT NULL, details text, priority int NOT NULL, status text NOT NULL,"
            " has_email boolean NOT NULL, quarantined boolean NOT NULL,"
            " created_at timestamptz NOT NULL, resolved_at timestamptz, action text,"
            " decision_reason text, moderator text, position bigint NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {t}_queue ON {t} (status, priority, created_at, id)",
            f"CREATE INDEX IF NOT EXISTS {t}_file ON {t} (file_id)",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        t = f"report_list{suffix}"
        return [f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM {t} t"]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        for e in events:
            fold = FOLDS.get(e.topic)
            if fold is not None:
                fold(cur, e, f"report_list{suffix}")
