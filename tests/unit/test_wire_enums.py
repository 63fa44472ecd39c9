"""The admin bodies' enums are the domain's own plans and scopes, so the OpenAPI document (which
lists them) and the validation (which refuses the rest with a 400) agree with the domain."""

from __future__ import annotations

from typing import get_args

from pichr.api.wire.admin import PlanName, Scope
from pichr.domain.accounts import PLANS, SCOPES


def test_the_admin_bodies_accept_exactly_the_domains_plans_and_scopes() -> None:
    assert get_args(PlanName) == PLANS
    assert get_args(Scope) == SCOPES
