"""The read models' answers to what the command side asks them (application's ports): the clean-up
and expiry candidates (file_listing), the blocklist's entries (blocklist), the reports naming a
file (report_list). The SQL over projection tables lives here, not in application/; the
composition root (scripts/compose.py) hands these to the commands that ask.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import ProgrammingError
from psycopg.abc import Params

# A cursor (dict rows) on the event store's own pool, or None on the in-memory store: the
# answers asked inside a command (finalize, the analysis) take no connection of their own.
Cursors = Callable[[], AbstractContextManager[Any]]

EXPIRING = (
    "SELECT id FROM file_listing WHERE status = 'ready' AND expires_at <= now()"
    " ORDER BY expires_at LIMIT %s"
)
STALE = (
    "SELECT id FROM file_listing WHERE status IN ('pending', 'uploaded') AND purged_at IS NULL"
    " AND created_at <= %s ORDER BY created_at LIMIT %s"
)
PURGEABLE = (
    "SELECT id FROM file_listing WHERE purged_at IS NULL AND ("
    " status IN ('abandoned', 'rejected', 'blocked')"
    " OR (status = 'deleted' AND deleted_at <= %(cut)s)"
    " OR (status = 'expired' AND expires_at <= %(cut)s))"
    " ORDER BY updated_at LIMIT %(limit)s"
)
EXACT = "SELECT file_id, report_id FROM blocklist WHERE sha256 = %s AND file_id <> %s LIMIT 1"
SIMILAR = (
    "SELECT file_id, report_id, d FROM (SELECT file_id, report_id,"
    " bit_count(('x' || phash)::bit(64) # ('x' || %s)::bit(64)) AS d FROM blocklist"
    " WHERE phash IS NOT NULL AND file_id <> %s) m WHERE d <= %s ORDER BY d, file_id LIMIT 1"
)
REPORTS_OF_FILE = "SELECT id FROM report_list WHERE file_id = %s ORDER BY created_at"


class FileCandidates:
    """application's ExpiringFiles and CleanupCandidates, on a connection of their own (the
    sweeps run in their own threads, a batch at a time)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def due_to_expire(self, limit: int) -> list[str]:
        return self._ids(EXPIRING, (limit,))

    def stale_uploads(self, created_before: datetime, limit: int) -> list[str]:
        return self._ids(STALE, (created_before, limit))

    def purge_candidates(self, ended_before: datetime, limit: int) -> list[str]:
        return self._ids(PURGEABLE, {"cut": ended_before, "limit": limit})

    def _ids(self, sql: str, params: Params) -> list[str]:
        with psycopg.connect(self.database_url) as conn:
            return [row[0] for row in conn.execute(sql, params).fetchall()]


class BlocklistRows:
    """application's BlocklistEntries."""

    def __init__(self, cursors: Cursors) -> None:
        self.cursors = cursors

    def exact(self, sha256: str, exclude: str) -> tuple[str, str | None] | None:
        row = _first(self.cursors, EXACT, (sha256, exclude))
        return (row["file_id"], row["report_id"]) if row else None

    def closest(
        self, phash: str, exclude: str, max_distance: int
    ) -> tuple[str, str | None, int] | None:
        row = _first(self.cursors, SIMILAR, (phash, exclude, max_distance))
        return (row["file_id"], row["report_id"], int(row["d"])) if row else None


class ReportIndex:
    """application's ReportsOfFile."""

    def __init__(self, cursors: Cursors) -> None:
        self.cursors = cursors

    def report_ids(self, file_id: str) -> list[str]:
        return [str(row["id"]) for row in _rows(self.cursors, REPORTS_OF_FILE, (file_id,))]


def _first(cursors: Cursors, sql: str, params: Params) -> dict[str, Any] | None:
    rows = _rows(cursors, sql, params)
    return rows[0] if rows else None


def _rows(cursors: Cursors, sql: str, params: Params) -> list[dict[str, Any]]:
    """The rows; none on the in-memory store or before the read model's table exists (before
    the first start-up)."""
    try:
        with cursors() as cur:
            if cur is None:
                return []
            cur.execute(sql, params, prepare=True)
            return list(cur.fetchall())
    except ProgrammingError as exc:  # the event store's pool wraps psycopg's errors
        if isinstance(exc.__cause__, psycopg.errors.UndefinedTable):
            return []
        raise
