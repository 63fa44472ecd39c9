"""The OpenAPI document says what the server does (the fuzzer holds it to that against a live
server: tests/integration/test_schemathesis.py). These pin the parts that Litestar alone got
wrong: the bearer scheme, the request bodies' own schemas, the served bytes, every refusal
named per operation, and the links the fuzzer's stateful phase follows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.built_app import built_app

OPERATIONS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    found: dict[str, Any] = built_app().openapi_schema.to_schema()
    return found


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": item[method]
        for path, item in document["paths"].items()
        for method in OPERATIONS
        if method in item
    }


def test_the_bearer_key_is_declared_and_optional_only_where_anonymous_callers_are_let_in(
    document: dict[str, Any],
) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    ops = operations(document)
    assert ops["POST /api/v1/upload/presign"]["security"] == [{"bearer": []}, {}]
    assert ops["GET /i/{file_id}"]["security"] == [{"bearer": []}, {}]
    assert ops["GET /health"]["security"] == []
    assert "security" not in ops["PATCH /api/v1/files/{file_id}"]  # the default: a key


def test_request_bodies_are_described_by_the_structs_that_validate_them(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["PatchIn"]["additionalProperties"] is False  # forbid_unknown_fields
    assert schemas["AlbumIn"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["PresignIn"]  # unknown fields are ignored
    tags = schemas["PresignIn"]["properties"]["tags"]
    assert tags["items"] == {"type": "string", "minLength": 1, "maxLength": 50}
    assert set(schemas["KeyIn"]["properties"]["scopes"]["items"]["enum"]) == {
        "read", "upload", "write", "admin",
    }  # fmt: skip
    assert set(schemas["AccountIn"]["properties"]["plan"]["enum"]) == {"free", "pro", "enterprise"}


def test_served_bytes_are_images_and_uploads_take_raw_bytes(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert set(ops["GET /i/{file_id}"]["responses"]["200"]["content"]) == {"image/*"}
    assert set(ops["GET /t/{file_id}"]["responses"]["200"]["content"]) == {"image/webp"}
    assert {"206", "304", "416"} <= set(ops["GET /i/{file_id}"]["responses"])
    download = ops["GET /api/v1/files/{file_id}/download"]["responses"]["200"]
    assert set(download["content"]) == {"image/*"}
    put = ops["PUT /api/v1/upload/direct/{file_id}"]["requestBody"]
    assert set(put["content"]) == {"application/octet-stream"}


def test_every_refusal_is_named_per_operation_in_the_error_body(document: dict[str, Any]) -> None:
    for name, operation in operations(document).items():
        codes = set(operation["responses"])
        assert not codes & {"4XX", "5XX", "default"}, name  # no catch-all: the fuzzer checks
        for code in codes - {"200", "201", "202", "206", "304"}:
            body = operation["responses"][code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorBody"}, (name, code)
    ops = operations(document)
    assert {"401", "403", "404", "410", "451"} <= set(
        ops["GET /api/v1/files/{file_id}"]["responses"]
    )
    assert {"402", "413", "415", "429"} <= set(ops["POST /api/v1/upload/presign"]["responses"])


def test_links_lead_from_what_creates_a_resource_to_what_uses_it(
    document: dict[str, Any],
) -> None:
    ids = {op["operationId"] for op in operations(document).values()}
    presigned = operations(document)["POST /api/v1/upload/presign"]["responses"]["200"]["links"]
    assert presigned["GetFile"]["parameters"] == {"file_id": "$response.body#/fileId"}
    assert presigned["Finalize"]["requestBody"]["uploadId"] == "$response.body#/uploadId"
    every = [
        link
        for op in operations(document).values()
        for answer in op["responses"].values()
        for link in answer.get("links", {}).values()
    ]
    assert len(every) > 25
    assert all(link["operationId"] in ids for link in every)
