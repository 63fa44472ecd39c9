"""Accounts and API keys as the authenticator and the admin routes read them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import Cursor

from domain import ids
from projections.events import LoggedEvent

Fold = Callable[[Cursor[Any], LoggedEvent, str], None]


def _account_created(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    d = e.data
    cur.execute(
        f"INSERT INTO accounts{s} (id, email, plan, created_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (id) DO NOTHING",
        (d["account_id"], d["email"], d["plan"], e.timestamp),
    )


def _plan_changed(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    account = ids.to_public(ids.ACCOUNT, e.originator_id)
    cur.execute(f"UPDATE accounts{s} SET plan = %s WHERE id = %s", (e.data["plan"], account))


def _account_deleted(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    account = ids.to_public(ids.ACCOUNT, e.originator_id)
    cur.execute(f"UPDATE accounts{s} SET deleted_at = %s WHERE id = %s", (e.timestamp, account))


def _key_created(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    d = e.data
    cur.execute(
        f"INSERT INTO api_keys{s} (id, digest, account_id, name, scopes, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (d["key_id"], d["digest"], d["account_id"], d["name"], d["scopes"], e.timestamp,
         d["expires_at"]),
    )  # fmt: skip


def _key_revoked(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    key = ids.to_public(ids.KEY, e.originator_id)
    cur.execute(f"UPDATE api_keys{s} SET revoked_at = %s WHERE id = %s", (e.timestamp, key))


def _keys_used(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    cur.executemany(
        f"UPDATE api_keys{s} SET last_used_at = greatest(last_used_at, %s::timestamptz)"
        " WHERE id = %s",
        [(when, key) for key, when in sorted(e.data["used"].items())],
    )


FOLDS: dict[str, Fold] = {
    "pichr.account.AccountCreated.v1": _account_created,
    "pichr.account.PlanChanged.v1": _plan_changed,
    "pichr.account.AccountDeleted.v1": _account_deleted,
    "pichr.key.ApiKeyCreated.v1": _key_created,
    "pichr.key.ApiKeyRevoked.v1": _key_revoked,
    "pichr.key.KeysUsed.v1": _keys_used,
}


class AuthProjection:
    name = "auth"
    tables: tuple[str, ...] = ("accounts", "api_keys")

    def create_sql(self, suffix: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS accounts{suffix} (id text PRIMARY KEY, email text"
            " NOT NULL, plan text NOT NULL, created_at timestamptz NOT NULL,"
            " deleted_at timestamptz)",
            f"CREATE TABLE IF NOT EXISTS api_keys{suffix} (id text PRIMARY KEY,"
            " digest text NOT NULL, account_id text NOT NULL, name text NOT NULL,"
            " scopes text[] NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz,"
            " revoked_at timestamptz, last_used_at timestamptz)",
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
            fold = FOLDS.get(e.topic)
            if fold is not None:
                fold(cur, e, suffix)
