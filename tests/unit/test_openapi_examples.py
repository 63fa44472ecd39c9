"""Every operation of the OpenAPI document is described for a person: a description, an example
of each JSON body (a request example the server itself accepts), an example of each path
parameter, and the rate-limit headers on every /api/v1 answer. Generic over all operations, so a
new route is held to it the moment it exists."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pichr.api.wire.openapi_docs import struct_types
from tests.support.built_app import built_app
from tests.unit.test_openapi_document import operations

RATE = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    found: dict[str, Any] = built_app().openapi_schema.to_schema()
    return found


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert len(ops) > 30
    bare = [name for name, op in ops.items() if not op.get("summary")]
    undescribed = [name for name, op in ops.items() if len(op.get("description") or "") < 20]
    assert (bare, undescribed) == ([], [])


def test_every_operation_has_an_example(document: dict[str, Any]) -> None:
    missing = []
    for name, op in operations(document).items():
        bodies = [op.get("requestBody", {}).get("content", {}).get("application/json")]
        shown = []  # answers in another media type (e.g. Prometheus text) with their example
        for status, answer in op["responses"].items():
            if status.startswith("2"):
                content = answer.get("content", {})
                bodies.append(content.get("application/json"))
                shown += [m for t, m in content.items() if t != "application/json"
                          and ("example" in m or "examples" in m)]  # fmt: skip
        missing += [f"{name}: a JSON body" for b in bodies if b is not None and "example" not in b]
        params = [p for p in op.get("parameters", []) if p["in"] == "path"]
        missing += [f"{name}: {p['name']}" for p in params if p.get("example") is None]
        examples = [b for b in bodies if b is not None] + params + shown
        missing += [f"{name}: no example at all"] if not examples else []
    assert missing == []


def test_each_request_example_is_a_request_the_server_decodes(document: dict[str, Any]) -> None:
    structs = struct_types()
    for name, op in operations(document).items():
        media = op.get("requestBody", {}).get("content", {}).get("application/json")
        if media is None:
            continue
        struct = structs[media["schema"]["$ref"].rsplit("/", 1)[-1]]
        try:
            msgspec.convert(media["example"], struct)
        except msgspec.ValidationError as exc:
            pytest.fail(f"{name}: {exc}")


def test_api_answers_document_the_rate_limit_headers(document: dict[str, Any]) -> None:
    assert {*RATE, "Retry-After", "X-Request-ID"} <= set(document["components"]["headers"])
    for name, op in operations(document).items():
        if not name.partition(" ")[2].startswith("/api/v1/"):
            continue
        for status, answer in op["responses"].items():
            assert set(answer.get("headers", {})) >= RATE, (name, status)
        assert "Retry-After" in op["responses"]["429"]["headers"], name


def test_served_routes_are_not_json(document: dict[str, Any]) -> None:
    ops = operations(document)
    for name in ("GET /i/{file_id}", "GET /t/{file_id}", "GET /api/v1/files/{file_id}/download"):
        media = set(ops[name]["responses"]["200"]["content"])
        assert media, name
        assert all(m.startswith("image/") for m in media), (name, media)
