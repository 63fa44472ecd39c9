"""Operator routes under /admin (admin scope): accounts and API keys, like the CLI."""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import to_thread
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from msgspec import Meta

from pichr.api.services import Services
from pichr.api.wire.schemas import CamelStruct
from pichr.api.wire.views import rfc3339
from pichr.domain.access import require_scope
from pichr.domain.errors import InvalidInputError, NotFoundError
from pichr.domain.principal import Principal
from pichr.projections.queries.rows import KeyRow

Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
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


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]

    @post("/accounts", summary="Create an account")
    async def create_account(
        self, data: AccountIn, who: Principal, services: Services
    ) -> AccountOut:
        require_scope(who, "admin")
        account, position = await to_thread.run_sync(
            services.identity.create_account, who.actor, data.email, data.plan
        )
        await services.caught_up(position, "auth")
        return AccountOut(account.account_id, account.email, account.plan)

    @patch(
        "/accounts/{account_id:str}",
        summary="Change an account's plan or whether its keys may turn safe mode off",
    )
    async def update_account(
        self, account_id: str, data: AccountPatchIn, who: Principal, services: Services
    ) -> AccountOut:
        require_scope(who, "admin")
        if data.plan is None and data.safe_mode_optional is None:
            raise InvalidInputError("Nothing to update.", fields=["plan", "safeModeOptional"])
        position = await to_thread.run_sync(_update_account, services, who, account_id, data)
        await services.caught_up(position, "auth")
        account = await services.reads.account(account_id)
        if account is None:
            raise NotFoundError("No such account.", id=account_id)
        return AccountOut(account_id, account.email, account.plan, account.safe_mode_optional)

    @delete("/accounts/{account_id:str}", status_code=200, summary="Delete an account")
    async def delete_account(self, account_id: str, who: Principal, services: Services) -> Done:
        require_scope(who, "admin")
        position = await to_thread.run_sync(services.identity.delete_account, who.actor, account_id)
        await services.caught_up(position, "auth")
        return Done("Account deleted; its keys no longer work.", account_id)

    @post("/keys", summary="Create an API key (its plaintext is shown once)")
    async def create_key(self, data: KeyIn, who: Principal, services: Services) -> KeyCreatedOut:
        require_scope(who, "admin")
        key = await to_thread.run_sync(
            services.identity.create_key,
            who.actor,
            data.account_id,
            data.name,
            list[str](data.scopes),
            data.expires_in_days,
        )
        await services.caught_up(key.position, "auth")
        return KeyCreatedOut(
            key.key_id, key.account_id, key.plaintext, key.name, key.scopes, key.expires_at
        )

    @get("/keys", summary="List API keys (never their plaintext)")
    async def list_keys(
        self,
        who: Principal,
        services: Services,
        account_id: Annotated[str | None, Parameter(query="accountId", max_length=64)] = None,
    ) -> list[KeyOut]:
        require_scope(who, "admin")
        return [_key_out(row) for row in await services.reads.keys(account_id)]

    @delete("/keys/{key_id:str}", status_code=200, summary="Revoke an API key")
    async def revoke_key(self, key_id: str, who: Principal, services: Services) -> Done:
        require_scope(who, "admin")
        position = await to_thread.run_sync(services.identity.revoke_key, who.actor, key_id)
        await services.caught_up(position, "auth")
        return Done("Key revoked.", key_id)


def _update_account(
    services: Services, who: Principal, account_id: str, data: AccountPatchIn
) -> int:
    position = 0
    if data.plan is not None:
        position = services.identity.set_plan(who.actor, account_id, data.plan)
    if data.safe_mode_optional is not None:
        optional = data.safe_mode_optional
        changed = services.identity.set_safe_mode(who.actor, account_id, optional=optional)
        position = max(position, changed)
    return position


def _key_out(row: KeyRow) -> KeyOut:
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
