"""Storage used per account, folded from the quota ledgers' events (rebuildable like any view)."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from pichr.projections.log.events import LoggedEvent

Q = "pichr.quota."


class UsageProjection:
    name = "usage"
    tables: tuple[str, ...] = ("usage",)
    topics: tuple[str, ...] = (
        Q + "LedgerOpened.v1",
        Q + "StorageReserved.v1",
        Q + "StorageReleased.v1",
    )

    def create_sql(self, suffix: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS usage{suffix} (ledger_id uuid PRIMARY KEY,"
            " account_id text NOT NULL, storage_bytes bigint NOT NULL, files bigint NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS usage{suffix}_account"
            f" ON usage{suffix} (account_id)",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        return [
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY ledger_id), ''))"
            f" FROM usage{suffix} t"
        ]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        for e in events:
            if e.topic == Q + "LedgerOpened.v1":
                cur.execute(
                    f"INSERT INTO usage{suffix} VALUES (%s, %s, 0, 0) ON CONFLICT DO NOTHING",
                    (e.originator_id, e.data["account_id"]),
                )
            elif e.topic in (Q + "StorageReserved.v1", Q + "StorageReleased.v1"):
                sign = 1 if e.topic == Q + "StorageReserved.v1" else -1
                cur.execute(
                    f"UPDATE usage{suffix} SET storage_bytes = greatest(0, storage_bytes + %s),"
                    " files = greatest(0, files + %s) WHERE ledger_id = %s",
                    (sign * e.data["size"], sign, e.originator_id),
                )
