"""The moderation queue's queries (the admin routes, and `pichr reports list` with its own
connection): by status and priority, top priority first, oldest first within it."""

from __future__ import annotations

from typing import Any

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from pichr.projections.queries.rows import ReportRow
from pichr.projections.views.reports import COLUMNS

WHERE = (
    " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
    " AND (%(priority)s::int IS NULL OR priority = %(priority)s)"
)
LIST = (
    f"SELECT {', '.join(COLUMNS)} FROM report_list{WHERE}"
    " ORDER BY priority, created_at, id LIMIT %(limit)s OFFSET %(offset)s"
)
COUNT = f"SELECT count(*) AS total FROM report_list{WHERE}"
BY_ID = f"SELECT {', '.join(COLUMNS)} FROM report_list WHERE id = %s"


def list_args(status: str | None, priority: int | None, limit: int, offset: int) -> dict[str, Any]:
    return {"status": status, "priority": priority, "limit": limit, "offset": offset}


async def list_reports(
    pool: AsyncConnectionPool[Any], status: str | None, priority: int | None, limit: int,
    offset: int,
) -> tuple[list[ReportRow], int]:  # fmt: skip
    """A page of the queue and its total."""
    args = list_args(status, priority, limit, offset)
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=class_row(ReportRow))
        await cur.execute(LIST, args)
        rows = await cur.fetchall()
        counted = await conn.execute(COUNT, args)
        found = await counted.fetchone()
    return rows, int(found[0]) if found else 0


async def report_by_id(pool: AsyncConnectionPool[Any], report_id: str) -> ReportRow | None:
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=class_row(ReportRow))
        await cur.execute(BY_ID, (report_id,))
        row: ReportRow | None = await cur.fetchone()
        return row
