"""The scope matrix: every route of the app (read from its own route table) x every kind of
caller (anonymous, bad keys, a key of each scope of the owner's account and of another one) x
every state of what the route names, against a live `pichr serve`. The expectations are the
access model written as data (tests/integration/scope_rules.py); a route the table does not
know fails `test_every_route_of_the_app_has_an_expectation`, so none can be forgotten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.scope_calls import Cell, request
from tests.integration.scope_rules import (
    CALLERS,
    FORMS,
    NEVER,
    NOTHING,
    OUTCOMES,
    RULES,
    expected,
    rule_for,
)
from tests.integration.scope_world import World, build
from tests.integration.server import assert_error, fresh_server
from tests.support.built_app import built_app

pytestmark = pytest.mark.integration
PAGES = ("/f/", "/a/")  # browsers' pages: their refusals are HTML pages with the same status
# The matrix calls hundreds of times from one address; the limits have tests of their own.
UNLIMITED = json.dumps({"anonymous": {"callsPerHour": 10**7, "uploadsPerHour": 10**7}})


APP = built_app()
# (method, path template) of every route the app serves, as its router sees them.
ROUTES = sorted((m, r.path) for r in APP.routes for m in getattr(r, "methods", ()))
DOCUMENT: dict[str, Any] = APP.openapi_schema.to_schema()


def cells() -> Iterator[Any]:
    for method, path in [*ROUTES, *FORMS]:
        rule = rule_for(method, path)
        if rule is None:
            continue  # test_every_route_of_the_app_has_an_expectation names it
        for state in OUTCOMES[rule.target]:
            for caller in CALLERS:
                status = expected(path, rule, caller, state)
                if status is None:
                    continue  # the access model leaves this one open
                cell = Cell(method, path, caller, state, rule)
                yield pytest.param(cell, status, id=cell.name)


@pytest.fixture(scope="module")
def world(pg_admin_url: str) -> Iterator[World]:
    with (
        fresh_server(
            pg_admin_url, "matrix", PICHR_PLANS=UNLIMITED, PICHR_REPORTS_PER_HOUR="1000000"
        ) as server,
        server.client() as client,
    ):
        yield build(server, client)


def test_every_route_of_the_app_has_an_expectation() -> None:
    missing = [route for route in ROUTES if rule_for(*route) is None]
    assert not missing, f"add these routes to tests/integration/scope_rules.py RULES: {missing}"
    stale = sorted(set(RULES) - set(ROUTES))
    assert not stale, f"RULES names routes the app does not have: {stale}"


@pytest.mark.parametrize(("cell", "status"), list(cells()))
def test_each_caller_gets_what_the_access_model_says(world: World, cell: Cell, status: int) -> None:
    answer = world.client.request(**request(world, cell))
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    if status >= 400 and not cell.path.startswith(PAGES) and cell.method != "HEAD":
        assert_error(answer, status)  # a HEAD answer has no body to hold the error


def documented(method: str, path: str) -> dict[str, Any] | None:
    """The document's operation for a route of the router, if the document has it."""
    item = DOCUMENT["paths"].get(re.sub(r":\w+\}", "}", path), {})
    operation: dict[str, Any] | None = item.get(method.lower())
    return operation


def test_the_document_lists_every_status_the_matrix_expects() -> None:
    """The two descriptions of the API agree: what a caller gets is documented for the route."""
    missing = set()
    for param in cells():
        cell, status = param.values
        operation = documented(cell.method, cell.path)
        if operation is not None and str(status) not in operation["responses"]:
            missing.add(f"{cell.method} {cell.path}: {status}")
    assert not missing, sorted(missing)


def test_the_document_asks_for_the_key_where_the_access_model_does() -> None:
    wrong = []
    for method, path in ROUTES:
        operation, rule = documented(method, path), rule_for(method, path)
        if operation is None or rule is None:
            continue
        needed = operation.get("security", DOCUMENT["security"])
        want = [] if rule.scope == NOTHING else [{"bearer": []}]
        want += [{}] if rule.anonymous != NEVER and rule.scope != NOTHING else []
        if needed != want:
            wrong.append((method, path, needed, want))
    assert not wrong, wrong
