"""Who is calling: resolved by the API from the request, passed to every command."""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str | None
    key_id: str | None
    scopes: frozenset[str]
    plan: str = ANONYMOUS
    # The account lets its keys turn safe mode off (X-Safe-Mode: off); off by default.
    safe_mode_optional: bool = False

    @property
    def actor(self) -> str:
        return self.key_id or ANONYMOUS

    @property
    def is_anonymous(self) -> bool:
        return self.account_id is None


NOBODY = Principal(account_id=None, key_id=None, scopes=frozenset())
OPERATOR = Principal(account_id=None, key_id="operator", scopes=frozenset({"admin"}))
