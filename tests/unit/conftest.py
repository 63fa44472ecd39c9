"""The unit tier needs nothing but the domain and in-memory fakes: while its tests run, no
service can be reached (tests/support/no_services.py), and a test that tries fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.no_services import NoServices, no_services


@pytest.fixture(scope="package", autouse=True)
def _no_services_in_the_unit_tier() -> Iterator[NoServices]:
    # Package scope: installed before any module-scoped fixture of the tier builds its objects.
    with no_services() as guard:
        yield guard


@pytest.fixture(autouse=True)
def unit_guard(_no_services_in_the_unit_tier: NoServices) -> Iterator[NoServices]:
    """The guard, checked after each test (what a module fixture reached fails the first)."""
    guard = _no_services_in_the_unit_tier
    guard.check()
    yield guard
    guard.check()
