"""Operator commands: each prints one JSON object on stdout (scripts/output.py); `replay` one per
read model (JSON lines)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pichr.application.identity import Identity
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env, resolve_database_url
from pichr.domain.errors import DomainError
from pichr.domain.principal import OPERATOR
from pichr.projections.log.reader import wait_until
from pichr.projections.log.replay import rebuild, rebuild_all
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.erase import add_erase
from pichr.scripts.output import emit as _emit

WAIT_SECONDS = 5.0


def database_url() -> str:
    return _url()


def _url() -> str:
    settings = Settings.from_env()
    url = resolve_database_url(settings.database_url, settings.data_dir)
    ensure_all(url)
    return url


def _identity_command(args: argparse.Namespace) -> int:
    url = _url()
    app = PichrApplication(env=eventsourcing_env(url, 2))
    identity = Identity(app)
    try:
        payload, position = args.action(identity, args)
    except DomainError as exc:
        _emit({"error": type(exc).__name__, "message": exc.message, "details": exc.details})
        return 2
    finally:
        app.close()
    # A running projection makes the change visible to the API within milliseconds.
    with psycopg.connect(url) as conn:
        payload["visible"] = wait_until(conn, "auth", position, WAIT_SECONDS)
    _emit(payload)
    return 0


def _create_account(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    account, position = identity.create_account(OPERATOR.actor, args.email, args.plan)
    return {"id": account.account_id, "email": account.email, "plan": account.plan}, position


def _set_plan(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    position = identity.set_plan(OPERATOR.actor, args.account_id, args.plan)
    return {"id": args.account_id, "plan": args.plan}, position


def _set_safe_mode(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    optional = args.mode == "optional"
    position = identity.set_safe_mode(OPERATOR.actor, args.account_id, optional=optional)
    return {"id": args.account_id, "safeModeOptional": optional}, position


def _create_key(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    key = identity.create_key(OPERATOR.actor, args.account, args.name, scopes, args.expires_in_days)
    payload = {
        "id": key.key_id,
        "accountId": key.account_id,
        "apiKey": key.plaintext,
        "name": key.name,
        "scopes": key.scopes,
        "expiresAt": key.expires_at,
    }
    return payload, key.position


def _revoke_key(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    return {"id": args.key_id, "revoked": True}, identity.revoke_key(OPERATOR.actor, args.key_id)


def _delete_account(identity: Identity, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    position = identity.delete_account(OPERATOR.actor, args.account_id)
    return {"id": args.account_id, "deleted": True}, position


KEY_COLUMNS = "id, account_id, name, scopes, created_at, expires_at, revoked_at, last_used_at"


def list_keys(args: argparse.Namespace) -> int:
    """The keys as the auth read model holds them (never a plaintext: only digests are kept)."""
    with psycopg.connect(_url(), row_factory=dict_row) as conn:
        rows = conn.execute(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE %s::text IS NULL OR account_id = %s"
            " ORDER BY created_at, id",
            (args.account, args.account),
        ).fetchall()
    _emit({"keys": [_key_json(row) for row in rows]})
    return 0


def _key_json(row: dict[str, Any]) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": row["id"],
        "accountId": row["account_id"],
        "name": row["name"],
        "scopes": row["scopes"],
        **{camel: when(row[col]) for col, camel in _TIMES.items()},
    }


_TIMES = {
    "created_at": "createdAt",
    "expires_at": "expiresAt",
    "revoked_at": "revokedAt",
    "last_used_at": "lastUsedAt",
}


MAX_EXPIRY_DAYS = 3650  # the admin API's rule (api/routes/admin.py KeyIn)


def expiry_days(text: str) -> int:
    """A key's lifetime in days: 0 or less would make a key that never expires."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_EXPIRY_DAYS} days, not {days}")
    return days


def add_identity(sub: Any) -> None:
    accounts = sub.add_parser("accounts", help="create, delete, change plans").add_subparsers(
        dest="action_name", required=True
    )
    c = accounts.add_parser("create", help="create an account; prints its id")
    c.add_argument("--email", required=True)
    c.add_argument("--plan", default="free", help="free | pro | enterprise (default free)")
    c.set_defaults(run=_identity_command, action=_create_account)
    s = accounts.add_parser("set-plan", help="change an account's plan")
    s.add_argument("account_id")
    s.add_argument("plan")
    s.set_defaults(run=_identity_command, action=_set_plan)
    m = accounts.add_parser(
        "set-safe-mode",
        help="whether the account's keys may turn safe mode off (X-Safe-Mode: off)",
        description="enforced (the default): age-restricted files answer 403 to the account's"
        " keys; optional: a request with X-Safe-Mode: off sees them.",
    )
    m.add_argument("account_id")
    m.add_argument("mode", choices=("enforced", "optional"))
    m.set_defaults(run=_identity_command, action=_set_safe_mode)
    d = accounts.add_parser("delete", help="delete an account: its keys stop working at once")
    d.add_argument("account_id")
    d.set_defaults(run=_identity_command, action=_delete_account)
    add_erase(accounts, _url)
    keys = sub.add_parser("keys", help="create, list and revoke API keys").add_subparsers(
        dest="action_name", required=True
    )
    k = keys.add_parser("create", help="create a key; prints the plaintext once as apiKey")
    k.add_argument("--account", required=True, help="account id (usr_...)")
    k.add_argument(
        "--scopes", default="read,upload,write", help="comma list of read,upload,write,admin"
    )
    k.add_argument("--name", default="default")
    k.add_argument(
        "--expires-in-days", type=expiry_days, default=None, help="1 to 3650 (default: never)"
    )
    k.set_defaults(run=_identity_command, action=_create_key)
    r = keys.add_parser("revoke", help="revoke a key at once on every process")
    r.add_argument("key_id")
    r.set_defaults(run=_identity_command, action=_revoke_key)
    ls = keys.add_parser("list", help="list keys (never their plaintext)")
    ls.add_argument("--account", default=None, help="only this account's keys (usr_...)")
    ls.set_defaults(run=list_keys)


def replay(args: argparse.Namespace) -> int:
    url = _url()
    chosen = [p for p in all_projections() if args.projection in (None, p.name)]
    if not chosen:
        _emit({"error": "Not Found", "message": f"No projection named {args.projection!r}."})
        return 2
    if len(chosen) == 1:
        [projection] = chosen
        show = _progress(projection.name) if sys.stderr.isatty() else None
        _emit({"projection": projection.name, "events": rebuild(url, projection, progress=show)})
        return 0
    # Every read model at once, one process each: they share nothing but the log.
    for name, reached in rebuild_all(url, [p.name for p in chosen], workers=args.jobs):
        if sys.stderr.isatty():
            sys.stderr.write(f"{name}: switched at log position {reached}\n")
        _emit({"projection": name, "events": reached})
    return 0


def _progress(name: str) -> Any:
    def show(done: int) -> None:
        sys.stderr.write(f"\r{name}: {done} events")
        sys.stderr.flush()

    return show
