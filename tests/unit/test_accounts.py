"""Accounts and API keys: plans and scopes are checked, a key is revoked once."""

from __future__ import annotations

import pytest

from pichr.application.identity import KEY_PREFIX, Identity, key_digest
from pichr.domain import ids
from pichr.domain.accounts import Account, ApiKey, check_plan, check_scopes
from pichr.domain.errors import ConflictError, InvalidInputError, NotFoundError
from tests.support.builders import memory_app


def new_key(**overrides: object) -> ApiKey:
    fields: dict[str, object] = {
        "key_id": ids.to_public(ids.KEY, ids.new_uuid()),
        "actor": "operator",
        "account_id": "usr_a",
        "name": "ci",
        "scopes": ["read"],
        "digest": "d" * 64,
        "expires_at": None,
    }
    return ApiKey(**(fields | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize("plan", ["free", "pro", "enterprise"])
def test_known_plans_are_accepted(plan: str) -> None:
    check_plan(plan)


@pytest.mark.parametrize("plan", ["", "anonymous", "FREE", "gold"])
def test_unknown_plans_are_invalid_input(plan: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_plan(plan)
    assert raised.value.details["field"] == "plan"


@pytest.mark.parametrize("scopes", [[], ["root"], ["read", "delete"], ["READ"]])
def test_missing_or_unknown_scopes_are_invalid_input(scopes: list[str]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_scopes(scopes)
    assert raised.value.details["field"] == "scopes"


def test_account_changes_plan_once_and_ignores_the_same_plan() -> None:
    account = Account(account_id="usr_a", actor="operator", email="a@b.c", plan="free")
    account.change_plan(actor="operator", plan="pro")
    account.change_plan(actor="operator", plan="pro")
    assert account.plan == "pro"
    assert [type(e).__name__ for e in account.collect_events()] == ["AccountCreated", "PlanChanged"]


def test_account_refuses_unknown_plan_and_keeps_its_own() -> None:
    account = Account(account_id="usr_a", actor="operator", email="a@b.c", plan="free")
    account.collect_events()
    with pytest.raises(InvalidInputError):
        account.change_plan(actor="operator", plan="platinum")
    assert account.plan == "free"
    assert account.collect_events() == []


def test_revoking_a_key_twice_is_a_conflict_and_records_once() -> None:
    key = new_key()
    key.revoke(actor="operator")
    assert key.revoked
    with pytest.raises(ConflictError):
        key.revoke(actor="operator")
    assert [type(e).__name__ for e in key.collect_events()] == ["ApiKeyCreated", "ApiKeyRevoked"]


def test_identity_issues_a_key_shown_once_and_stored_as_digest() -> None:
    app = memory_app()
    identity = Identity(app)
    account, _ = identity.create_account("operator", "a@b.c", "free")
    issued = identity.create_key("operator", account.account_id, "ci", ["read", "upload"], 30)
    assert issued.plaintext.startswith(KEY_PREFIX)
    assert len(issued.plaintext) == len(KEY_PREFIX) + 32
    stored = app.load(ApiKey, ids.KEY, issued.key_id)
    assert stored.digest == key_digest(issued.plaintext)
    assert issued.plaintext not in repr(vars(stored))
    assert issued.expires_at is not None


def test_identity_refuses_bad_plan_scopes_and_unknown_account() -> None:
    identity = Identity(memory_app())
    with pytest.raises(InvalidInputError):
        identity.create_account("operator", "a@b.c", "gold")
    account, _ = identity.create_account("operator", "a@b.c", "pro")
    with pytest.raises(InvalidInputError):
        identity.create_key("operator", account.account_id, "ci", ["sudo"], None)
    with pytest.raises(NotFoundError):
        identity.create_key(
            "operator", ids.to_public(ids.ACCOUNT, ids.new_uuid()), "ci", ["read"], None
        )
    with pytest.raises(InvalidInputError):
        identity.set_plan("operator", account.account_id, "gold")


def test_identity_revokes_once_then_conflicts() -> None:
    identity = Identity(memory_app())
    account, _ = identity.create_account("operator", "a@b.c", "free")
    issued = identity.create_key("operator", account.account_id, "ci", ["read"], None)
    assert identity.revoke_key("operator", issued.key_id) > issued.position
    with pytest.raises(ConflictError):
        identity.revoke_key("operator", issued.key_id)
    with pytest.raises(NotFoundError):
        identity.revoke_key("operator", "key_notakey!")
