"""Wire schemas of the operator routes (/admin: accounts and API keys), and their rows' mapping."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from pichr.api.wire.schemas import CamelStruct, Email
from pichr.api.wire.views import rfc3339
from pichr.projections.queries.rows import AccountRow, KeyRow

# As domain/accounts.py PLANS and SCOPES (tests/unit/test_wire_enums.py): the document lists them.
PlanName = Literal["free", "pro", "enterprise"]
Scope = Literal["read", "upload", "write", "admin"]


class AccountIn(CamelStruct):
    email: Email
    plan: PlanName = "free"


class AccountPatchIn(CamelStruct, forbid_unknown_fields=True):
    plan: PlanName | None = None
    # true: the account's keys may turn safe mode off with X-Safe-Mode: off (default false)
    safe_mode_optional: bool | None = None


class AccountOut(CamelStruct):
    id: str
    email: str
    plan: str
    safe_mode_optional: bool = False


class KeyIn(CamelStruct):
    account_id: str
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=4)]
    name: Annotated[str, Meta(min_length=1, max_length=100)] = "default"
    expires_in_days: Annotated[int, Meta(ge=1, le=3650)] | None = None


class KeyCreatedOut(CamelStruct):
    id: str
    account_id: str
    api_key: str  # shown once; only its digest is stored
    name: str
    scopes: list[str]
    expires_at: str | None


class KeyOut(CamelStruct):
    id: str
    account_id: str
    name: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class Done(CamelStruct):
    message: str
    id: str


def account_out(row: AccountRow) -> AccountOut:
    return AccountOut(row.id, row.email, row.plan, row.safe_mode_optional)


def key_out(row: KeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        scopes=row.scopes,
        created_at=rfc3339(row.created_at) or "",
        expires_at=rfc3339(row.expires_at),
        revoked_at=rfc3339(row.revoked_at),
        last_used_at=rfc3339(row.last_used_at),
    )
