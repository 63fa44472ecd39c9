"""Operator routes under /admin (admin scope): accounts and API keys, like the CLI."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from pichr.api.commands import ON_AUTH, run
from pichr.api.services import Services
from pichr.api.wire.admin import (
    AccountIn,
    AccountOut,
    AccountPatchIn,
    Done,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
    account_out,
    key_out,
)
from pichr.api.wire.erasure import EraseIn, ErasureOut, erasure_out
from pichr.domain.access import require_scope
from pichr.domain.errors import InvalidInputError, NotFoundError, UnavailableError
from pichr.domain.principal import Principal


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]

    @post("/accounts", summary="Create an account")
    async def create_account(
        self, data: AccountIn, who: Principal, services: Services
    ) -> AccountOut:
        require_scope(who, "admin")
        create = services.identity.create_account
        account, _ = await run(services, ON_AUTH, create, who.actor, data.email, data.plan)
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
        await run(services, ON_AUTH, _update_account, services, who, account_id, data)
        account = await services.reads.account(account_id)
        if account is None:
            raise NotFoundError("No such account.", id=account_id)
        return account_out(account)

    @delete("/accounts/{account_id:str}", status_code=200, summary="Delete an account")
    async def delete_account(self, account_id: str, who: Principal, services: Services) -> Done:
        require_scope(who, "admin")
        await run(services, ON_AUTH, services.identity.delete_account, who.actor, account_id)
        return Done("Account deleted; its keys no longer work.", account_id)

    @post(
        "/accounts/{account_id:str}/erase",
        status_code=200,
        summary="Erase an account's personal data for good (GDPR art. 17)",
        description="Deletes the account if not yet deleted, its albums and files (bytes purged;"
        " quarantined or banned files' bytes are kept as evidence: evidenceKept), records"
        " AccountErased, deletes the account's subject keys and rebuilds the read models that"
        " hold personal data (docs/privacy.md). Answers when all of that is done.",
    )
    async def erase_account(
        self, account_id: str, data: EraseIn, who: Principal, services: Services
    ) -> ErasureOut:
        require_scope(who, "admin")
        if services.erasure is None:
            raise UnavailableError("Erasure is not available in this process.")
        erase = services.erasure.erase
        return erasure_out(await run(services, ON_AUTH, erase, who.actor, account_id, data.reason))

    @post("/keys", summary="Create an API key (its plaintext is shown once)")
    async def create_key(self, data: KeyIn, who: Principal, services: Services) -> KeyCreatedOut:
        require_scope(who, "admin")
        scopes, days = list[str](data.scopes), data.expires_in_days
        create = services.identity.create_key
        key = await run(
            services, ON_AUTH, create, who.actor, data.account_id, data.name, scopes, days
        )
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
        return [key_out(row) for row in await services.reads.keys(account_id)]

    @delete("/keys/{key_id:str}", status_code=200, summary="Revoke an API key")
    async def revoke_key(self, key_id: str, who: Principal, services: Services) -> Done:
        require_scope(who, "admin")
        await run(services, ON_AUTH, services.identity.revoke_key, who.actor, key_id)
        return Done("Key revoked.", key_id)


def _update_account(
    services: Services, who: Principal, account_id: str, data: AccountPatchIn
) -> int:
    """Both changes in one worker thread; the later position covers both."""
    position = 0
    if data.plan is not None:
        position = services.identity.set_plan(who.actor, account_id, data.plan)
    if data.safe_mode_optional is not None:
        optional = data.safe_mode_optional
        changed = services.identity.set_safe_mode(who.actor, account_id, optional=optional)
        position = max(position, changed)
    return position
