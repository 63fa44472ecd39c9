"""Accounts and API keys as the authenticator and the admin routes read them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import Cursor

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent

Fold = Callable[[Cursor[Any], LoggedEvent, str], None]


def _account_created(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    d = e.data
    cur.execute(
        f"INSERT INTO accounts{s} (id, email, plan, created_at, position)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (d["account_id"], d["email"], d["plan"], e.timestamp, e.position),
    )


def _plan_changed(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    account = ids.to_public(ids.ACCOUNT, e.originator_id)
    cur.execute(
        f"UPDATE accounts{s} SET plan = %s, position = %s WHERE id = %s",
        (e.data["plan"], e.position, account),
    )


def _safe_mode_set(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    account = ids.to_public(ids.ACCOUNT, e.originator_id)
    cur.execute(
        f"UPDATE accounts{s} SET safe_mode_optional = %s, position = %s WHERE id = %s",
        (e.data["optional"], e.position, account),
    )


def _account_deleted(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    account = ids.to_public(ids.ACCOUNT, e.originator_id)
    cur.execute(
        f"UPDATE accounts{s} SET deleted_at = %s, position = %s WHERE id = %s",
        (e.timestamp, e.position, account),
    )


def _key_created(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    d = e.data
    cur.execute(
        f"INSERT INTO api_keys{s} (id, digest, account_id, name, scopes, created_at, expires_at,"
        " position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (d["key_id"], d["digest"], d["account_id"], d["name"], d["scopes"], e.timestamp,
         d["expires_at"], e.position),
    )  # fmt: skip


def _key_revoked(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    key = ids.to_public(ids.KEY, e.originator_id)
    cur.execute(
        f"UPDATE api_keys{s} SET revoked_at = %s, position = %s WHERE id = %s",
        (e.timestamp, e.position, key),
    )


def _keys_used(cur: Cursor[Any], e: LoggedEvent, s: str) -> None:
    # Not a change the authenticator cares about: `position` stays, caches stay warm.
    cur.executemany(
        f"UPDATE api_keys{s} SET last_used_at = greatest(last_used_at, %s::timestamptz)"
        " WHERE id = %s",
        [(when, key) for key, when in sorted(e.data["used"].items())],
    )


FOLDS: dict[str, Fold] = {
    "pichr.account.AccountCreated.v1": _account_created,
    "pichr.account.PlanChanged.v1": _plan_changed,
    "pichr.account.AccountDeleted.v1": _account_deleted,
    "pichr.account.SafeModeSettingChanged.v1": _safe_mode_set,
    "pichr.key.ApiKeyCreated.v1": _key_created,
    "pichr.key.ApiKeyRevoked.v1": _key_revoked,
    "pichr.key.KeysUsed.v1": _keys_used,
}


class AuthProjection:
    name = "auth"
    tables: tuple[str, ...] = ("accounts", "api_keys")
    topics: tuple[str, ...] = tuple(FOLDS)

    def create_sql(self, suffix: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS accounts{suffix} (id text PRIMARY KEY, email text"
            " NOT NULL, plan text NOT NULL, created_at timestamptz NOT NULL,"
            " deleted_at timestamptz, safe_mode_optional boolean NOT NULL DEFAULT false,"
            " position bigint NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS api_keys{suffix} (id text PRIMARY KEY,"
            " digest text NOT NULL, account_id text NOT NULL, name text NOT NULL,"
            " scopes text[] NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz,"
            " revoked_at timestamptz, last_used_at timestamptz, position bigint NOT NULL)",
            # `position`: the log position that last changed what the authenticator reads.
            f"CREATE INDEX IF NOT EXISTS api_keys{suffix}_position ON api_keys{suffix} (position)",
            f"CREATE INDEX IF NOT EXISTS accounts{suffix}_position ON accounts{suffix} (position)",
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
