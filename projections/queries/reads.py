"""Read-side queries the API answers from, on an async connection pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.queries.access_sql import listed_sql
from pichr.projections.queries.cache import Page, ReadCache
from pichr.projections.queries.cursor import decode_cursor
from pichr.projections.queries.rows import AccountRow, AuthKeyRow, FileRow, KeyRow
from pichr.projections.views.file_listing import COLUMNS

FILE_BY_ID = f"SELECT {', '.join(COLUMNS)} FROM file_listing WHERE id = %s"
HEAD = f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"
ACCOUNT_BY_ID = (
    "SELECT id, email, plan, created_at, deleted_at, safe_mode_optional, position"
    " FROM accounts WHERE id = %s"
)
SORTS = {"created": "created_at", "views": "view_count", "size": "bytes"}


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What GET /files asks; the API passes each (its defaults, the threshold from Settings)."""

    owner_id: str
    limit: int
    offset: int
    sort: str
    order: str
    visibility: str | None
    exclude_nsfw: bool
    nsfw_threshold: float
    cursor: str | None = None


class ReadModels:
    def __init__(self, pool: AsyncConnectionPool[Any], cache: ReadCache | None = None) -> None:
        self.pool = pool
        self.cache = cache

    async def head(self) -> int:
        """The log's last position: what a read that must see every earlier write waits for."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(HEAD, prepare=True)
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def file(self, file_id: str) -> FileRow | None:
        if self.cache is None:
            return await self._file(file_id)
        return await self.cache.row(file_id, lambda: self._file(file_id))

    async def files(self, q: ListQuery) -> Page:
        """A page of at most `limit + 1` rows: the extra one only says that more follow."""
        if self.cache is None:
            rows, total = await self._files(q)
            return Page(rows, total, None)
        key = (
            q.owner_id,
            q.limit,
            q.offset,
            q.sort,
            q.order,
            q.visibility,
            q.exclude_nsfw,
            q.cursor,
        )
        return await self.cache.page(key, lambda: self._files(q))

    async def _file(self, file_id: str) -> FileRow | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(FileRow))
            await cur.execute(FILE_BY_ID, (file_id,), prepare=True)
            found: FileRow | None = await cur.fetchone()
            return found

    async def _files(self, q: ListQuery) -> tuple[list[FileRow], int]:
        # The caller's own files as the access rule lists them (excludeNsfw: as in safe mode),
        # of those only the published ones.
        where = ["owner_id = %(me)s", listed_sql("file_listing"), "status = 'ready'"]
        args: dict[str, Any] = {
            "me": q.owner_id, "adult": not q.exclude_nsfw, "threshold": q.nsfw_threshold,
        }  # fmt: skip
        if q.visibility:
            where.append("visibility = %(visibility)s")
            args["visibility"] = q.visibility
        column = SORTS[q.sort]
        direction = "DESC" if q.order == "desc" else "ASC"
        page_where, page_args = list(where), {**args, "limit": q.limit + 1, "offset": q.offset}
        if q.cursor is not None:
            value, last_id = decode_cursor(q.cursor, q.sort, q.order)
            after = "<" if direction == "DESC" else ">"
            page_where.append(f"({column}, id) {after} (%(after_value)s, %(after_id)s)")
            page_args.update(after_value=value, after_id=last_id, offset=0)
        sql = (
            f"SELECT {', '.join(COLUMNS)} FROM file_listing WHERE {' AND '.join(page_where)}"
            f" ORDER BY {column} {direction}, id {direction} LIMIT %(limit)s OFFSET %(offset)s"
        )
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(FileRow))
            await cur.execute(sql, page_args, prepare=True)
            rows = await cur.fetchall()  # one more than asked: tells whether more follow
            if rows and q.cursor is None and len(rows) <= q.limit:
                return rows, q.offset + len(rows)  # the last page: no count needed
            counted = await conn.execute(
                f"SELECT count(*) FROM file_listing WHERE {' AND '.join(where)}", args, prepare=True
            )
            found = await counted.fetchone()
            return rows, int(found[0]) if found else 0

    async def key_by_digest(self, digest: str) -> AuthKeyRow | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(AuthKeyRow))
            await cur.execute(
                "SELECT k.id, k.account_id, k.scopes, k.expires_at, k.revoked_at, a.plan,"
                " a.deleted_at, a.safe_mode_optional"
                " FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.digest = %s",
                (digest,),
                prepare=True,
            )
            found: AuthKeyRow | None = await cur.fetchone()
            return found

    async def keys_changed_since(self, position: int) -> list[str]:
        """Digests of keys whose key or account changed after `position`."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT k.digest FROM api_keys k WHERE k.position > %s UNION"
                " SELECT k.digest FROM api_keys k JOIN accounts a ON a.id = k.account_id"
                " WHERE a.position > %s",
                (position, position),
                prepare=True,
            )
            return [row[0] for row in await cur.fetchall()]

    async def keys(self, account_id: str | None) -> list[KeyRow]:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(KeyRow))
            await cur.execute(
                "SELECT id, account_id, name, scopes, created_at, expires_at, revoked_at,"
                " last_used_at FROM api_keys WHERE %s::text IS NULL OR account_id = %s"
                " ORDER BY created_at, id",
                (account_id, account_id),
            )
            found: list[KeyRow] = await cur.fetchall()
            return found

    async def account(self, account_id: str) -> AccountRow | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(AccountRow))
            await cur.execute(ACCOUNT_BY_ID, (account_id,))
            found: AccountRow | None = await cur.fetchone()
            return found

    async def storage_used(self, account_id: str) -> tuple[int, int]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT storage_bytes, files FROM usage WHERE account_id = %s", (account_id,)
            )
            row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def ping(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("SELECT 1")
