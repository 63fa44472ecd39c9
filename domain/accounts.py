"""Accounts and their API keys. Keys are stored only as a SHA-256 digest."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from pichr.domain import ids
from pichr.domain.errors import ConflictError, GoneError, InvalidInputError

PLANS = ("free", "pro", "enterprise")
SCOPES = ("read", "upload", "write", "admin")


class Account(Aggregate):
    TOPIC = "pichr.account.Account.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.account.Created.v1"

    @event("AccountCreated", topic="pichr.account.AccountCreated.v1")
    def __init__(self, *, account_id: str, actor: str, email: str, plan: str) -> None:
        self.account_id = account_id
        self.email = email
        self.plan = plan
        self.deleted = False
        self.erased = False  # its personal data is gone for good (docs/privacy.md)
        self.safe_mode_optional = False  # its keys may turn safe mode off (X-Safe-Mode: off)

    @staticmethod
    def create_id(account_id: str) -> UUID:
        return ids.to_uuid(ids.ACCOUNT, account_id)

    def change_plan(self, *, actor: str, plan: str) -> None:
        check_plan(plan)
        if plan != self.plan:
            self._plan_changed(actor=actor, plan=plan)

    @event("PlanChanged", topic="pichr.account.PlanChanged.v1")
    def _plan_changed(self, *, actor: str, plan: str) -> None:
        self.plan = plan

    def set_safe_mode(self, *, actor: str, optional: bool) -> bool:
        """Whether the account's keys may turn safe mode off; False when it already was so."""
        if self.deleted:
            raise GoneError("The account is deleted.")
        if optional == self.safe_mode_optional:
            return False
        self._safe_mode_set(actor=actor, optional=optional)
        return True

    @event("SafeModeSettingChanged", topic="pichr.account.SafeModeSettingChanged.v1")
    def _safe_mode_set(self, *, actor: str, optional: bool) -> None:
        self.safe_mode_optional = optional

    def delete(self, *, actor: str) -> None:
        """The account's keys stop working at once; its files stay until purged."""
        if self.deleted:
            raise GoneError("The account is already deleted.")
        self._deleted(actor=actor)

    @event("AccountDeleted", topic="pichr.account.AccountDeleted.v1")
    def _deleted(self, *, actor: str) -> None:
        self.deleted = True

    def erase(self, *, actor: str, reason: str) -> None:
        """Record an erasure (GDPR art. 17): who asked it, when (the event's time) and why.
        The subject keys are deleted after this commits (application/privacy/erase.py)."""
        if not self.deleted:
            raise ConflictError("Delete the account before erasing it.")
        if self.erased:
            raise GoneError("The account is already erased.")
        self._erased(actor=actor, reason=reason)

    @event("AccountErased", topic="pichr.account.AccountErased.v1")
    def _erased(self, *, actor: str, reason: str) -> None:
        """The account's personal data was erased: its subject keys are deleted, so its sealed
        fields read as "[erased]" from now on. `reason`: the operator's note (no personal data)."""
        self.erased = True


class ApiKey(Aggregate):
    TOPIC = "pichr.key.ApiKey.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.key.Created.v1"

    @event("ApiKeyCreated", topic="pichr.key.ApiKeyCreated.v1")
    def __init__(
        self,
        *,
        key_id: str,
        actor: str,
        account_id: str,
        name: str,
        scopes: list[str],
        digest: str,
        expires_at: str | None,
    ) -> None:
        self.key_id = key_id
        self.account_id = account_id
        self.name = name
        self.scopes = scopes
        self.digest = digest
        self.expires_at = expires_at
        self.revoked = False

    @staticmethod
    def create_id(key_id: str) -> UUID:
        return ids.to_uuid(ids.KEY, key_id)

    def revoke(self, *, actor: str) -> None:
        if self.revoked:
            raise ConflictError("The key is already revoked.")
        self._revoked(actor=actor)

    @event("ApiKeyRevoked", topic="pichr.key.ApiKeyRevoked.v1")
    def _revoked(self, *, actor: str) -> None:
        self.revoked = True


class KeyUsage(Aggregate):
    """When keys were last used, recorded in batches (never a write per request)."""

    TOPIC = "pichr.key.KeyUsage.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.key.KeyUsageCreated.v1"

    @event("KeysUsed", topic="pichr.key.KeysUsed.v1")
    def __init__(self, *, used: dict[str, str]) -> None:
        self.used = used


def check_plan(plan: str) -> None:
    if plan not in PLANS:
        raise InvalidInputError(f"Unknown plan {plan!r}.", field="plan", allowed=list(PLANS))


def check_scopes(scopes: list[str]) -> None:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInputError("Unknown or missing scopes.", field="scopes", allowed=list(SCOPES))
