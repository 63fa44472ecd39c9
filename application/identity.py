"""Accounts and API keys: created by operators, keys shown once and stored as a digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.accounts import Account, ApiKey, check_plan, check_scopes

KEY_PREFIX = "pk_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    account_id: str
    plaintext: str
    scopes: list[str]
    name: str
    expires_at: str | None
    position: int


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class Identity:
    def __init__(self, app: PichrApplication) -> None:
        self.app = app

    def create_account(self, actor: str, email: str, plan: str) -> tuple[Account, int]:
        check_plan(plan)
        account_id = ids.to_public(ids.ACCOUNT, ids.new_uuid())
        account = Account(account_id=account_id, actor=actor, email=email, plan=plan)
        return account, self.app.commit(account)

    def set_plan(self, actor: str, account_id: str, plan: str) -> int:
        return self.app.change(
            Account, ids.ACCOUNT, account_id, lambda a: a.change_plan(actor=actor, plan=plan)
        )

    def set_safe_mode(self, actor: str, account_id: str, *, optional: bool) -> int:
        """Let the account's keys turn safe mode off (or stop them); 0 when nothing changed."""
        return self.app.change(
            Account,
            ids.ACCOUNT,
            account_id,
            lambda a: a.set_safe_mode(actor=actor, optional=optional),
        )

    def create_key(
        self, actor: str, account_id: str, name: str, scopes: list[str], days: int | None
    ) -> IssuedKey:
        check_scopes(scopes)
        self.app.load(Account, ids.ACCOUNT, account_id)  # 404 for unknown accounts
        plaintext = KEY_PREFIX + ids.random_token(32)
        expires_at = (self.app.clock() + timedelta(days=days)).isoformat() if days else None
        key_id = ids.to_public(ids.KEY, ids.new_uuid())
        key = ApiKey(
            key_id=key_id,
            actor=actor,
            account_id=account_id,
            name=name,
            scopes=scopes,
            digest=key_digest(plaintext),
            expires_at=expires_at,
        )
        position = self.app.commit(key)
        return IssuedKey(key_id, account_id, plaintext, scopes, name, expires_at, position)

    def delete_account(self, actor: str, account_id: str) -> int:
        return self.app.change(Account, ids.ACCOUNT, account_id, lambda a: a.delete(actor=actor))

    def revoke_key(self, actor: str, key_id: str) -> int:
        return self.app.change(ApiKey, ids.KEY, key_id, lambda k: k.revoke(actor=actor))
