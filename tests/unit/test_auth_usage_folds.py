"""The auth and usage read models fold each event into one statement: real events, as the log
holds them, into the statements and values they lead to (projections/views/auth.py, usage.py;
what the tables then hold is checked on PostgreSQL in the integration tier)."""

from __future__ import annotations

from typing import Any

from pichr.domain.accounts import Account, ApiKey, KeyUsage
from pichr.domain.quota import StorageLedger
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.auth import AuthProjection
from pichr.projections.views.usage import UsageProjection
from tests.support.cursor import RecordingCursor, Statement
from tests.support.log import EventLog


def applied(projection: Any, events: list[LoggedEvent], suffix: str = "") -> list[Statement]:
    cur = RecordingCursor()
    projection.apply(cur, events, suffix)
    return cur.statements


def new_account(plan: str = "free") -> Account:
    return Account(account_id="usr_a", actor="admin", email="a@example.com", plan=plan)


def test_an_account_s_life_folds_into_its_row() -> None:
    log, account = EventLog(), new_account()
    account.change_plan(actor="admin", plan="pro")
    account.set_safe_mode(actor="admin", optional=True)
    account.delete(actor="admin")
    created, plan, safe, deleted = events = log.record(account)
    assert applied(AuthProjection(), events) == [
        Statement("INSERT", "accounts",
                  ("usr_a", "a@example.com", "free", created.timestamp, created.position)),
        Statement("UPDATE", "accounts", ("pro", plan.position, "usr_a")),
        Statement("UPDATE", "accounts", (True, safe.position, "usr_a")),
        Statement("UPDATE", "accounts", (deleted.timestamp, deleted.position, "usr_a")),
    ]  # fmt: skip


def test_a_key_s_life_folds_into_its_row_and_usage_only_into_last_used() -> None:
    log = EventLog()
    key = ApiKey(
        key_id="key_k", actor="admin", account_id="usr_a", name="ci", scopes=["read"],
        digest="d" * 64, expires_at="2027-01-01T00:00:00+00:00",
    )  # fmt: skip
    key.revoke(actor="admin")
    used = KeyUsage(used={"key_k": "2026-05-01T00:00:00+00:00", "key_j": "2026-04-01T00:00:00"})
    created, revoked, _ = events = log.record(key, used)
    assert applied(AuthProjection(), events) == [
        Statement("INSERT", "api_keys", ("key_k", "d" * 64, "usr_a", "ci", ["read"],
                  created.timestamp, "2027-01-01T00:00:00+00:00", created.position)),
        Statement("UPDATE", "api_keys", (revoked.timestamp, revoked.position, "key_k")),
        # no position: last use is no change the authenticator's caches must follow
        Statement("UPDATE", "api_keys", ("2026-04-01T00:00:00", "key_j")),
        Statement("UPDATE", "api_keys", ("2026-05-01T00:00:00+00:00", "key_k")),
    ]  # fmt: skip


def test_a_rebuild_writes_the_tables_beside_the_live_ones() -> None:
    log = EventLog()
    statements = applied(AuthProjection(), log.record(new_account()), suffix="_rebuild")
    assert [s.table for s in statements] == ["accounts_rebuild"]


def test_events_of_other_kinds_are_ignored() -> None:
    log, ledger = EventLog(), StorageLedger(account_id="usr_a")
    assert applied(AuthProjection(), log.record(ledger)) == []


def test_reservations_and_releases_add_up_on_the_account_s_usage() -> None:
    log, ledger = EventLog(), StorageLedger(account_id="usr_a")
    ledger.reserve(actor="k", file_id="file_a", size=1000, quota=None)
    ledger.release(actor="k", file_id="file_a", size=1000, reason="deleted")
    events = log.record(ledger)
    ledger_id = events[0].originator_id
    assert applied(UsageProjection(), events) == [
        Statement("INSERT", "usage", (ledger_id, "usr_a")),
        Statement("UPDATE", "usage", (1000, 1, ledger_id)),
        Statement("UPDATE", "usage", (-1000, -1, ledger_id)),
    ]
    assert applied(UsageProjection(), log.record(new_account())) == []
