"""Accounts and API keys as the authenticator reads them: keys looked up by digest."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain import ids
from projections.events import LoggedEvent


class AuthProjection:
    name = "auth"
    tables: tuple[str, ...] = ("accounts", "api_keys")

    def create_sql(self, suffix: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS accounts{suffix} (id text PRIMARY KEY, email text"
            " NOT NULL, plan text NOT NULL, created_at timestamptz NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS api_keys{suffix} (id text PRIMARY KEY,"
            " digest text NOT NULL, account_id text NOT NULL, name text NOT NULL,"
            " scopes text[] NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz,"
            " revoked_at timestamptz)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS api_keys{suffix}_digest ON api_keys{suffix}"
            " (digest)",
            f"CREATE INDEX IF NOT EXISTS api_keys{suffix}_account ON api_keys{suffix} (account_id)",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        return [
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM {table}{suffix} t"
            for table in self.tables
        ]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        for e in events:
            d = e.data
            if e.topic == "pichr.account.AccountCreated.v1":
                cur.execute(
                    f"INSERT INTO accounts{suffix} VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING",
                    (d["account_id"], d["email"], d["plan"], e.timestamp),
                )
            elif e.topic == "pichr.account.PlanChanged.v1":
                cur.execute(
                    f"UPDATE accounts{suffix} SET plan = %s WHERE id = %s",
                    (d["plan"], ids.to_public(ids.ACCOUNT, e.originator_id)),
                )
            elif e.topic == "pichr.key.ApiKeyCreated.v1":
                cur.execute(
                    f"INSERT INTO api_keys{suffix} VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)"
                    " ON CONFLICT (id) DO NOTHING",
                    (
                        d["key_id"],
                        d["digest"],
                        d["account_id"],
                        d["name"],
                        d["scopes"],
                        e.timestamp,
                        d["expires_at"],
                    ),
                )
            elif e.topic == "pichr.key.ApiKeyRevoked.v1":
                cur.execute(
                    f"UPDATE api_keys{suffix} SET revoked_at = %s WHERE id = %s",
                    (e.timestamp, ids.to_public(ids.KEY, e.originator_id)),
                )
