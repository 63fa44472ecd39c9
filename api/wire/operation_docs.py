"""What each operation of the OpenAPI document says to a person: a description, examples of its
JSON bodies and path parameters, and the rate-limit headers every /api/v1 answer carries.

Descriptions are written here by operation ("METHOD /path"); a JSON body's example is written here
when the generic one (made from its schema, `example_of`) would not be a meaningful request.
tests/unit/test_openapi_examples.py holds every operation to it and decodes every request example
with the Struct the server decodes it with.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)

from pichr.api.wire.openapi_docs import operations
from pichr.api.wire.operation_texts import BODIES, DESCRIPTIONS, FILE_ID

PREFIXES = {
    "file": FILE_ID,
    "album": "alb_7QwErTyUiOpAsDfGhJkLzX",
    "upload": "upl_3MnBvCxZaSdFgHjKlQwErT",
    "account": "usr_9PoIuYtReWqAsDfGhJkLmN",
    "key": "key_2ZxCvBnMaSdFgHjKlQwErT",
    "report": "rep_6TyUiOpLkJhGfDsAqWeRtY",
}
RATE_HEADERS = {
    "X-RateLimit-Limit": "Calls the caller's plan allows per hour",
    "X-RateLimit-Remaining": "Calls left in the current hour",
    "X-RateLimit-Reset": "Unix time at which the hour's allowance is whole again",
    "X-Request-ID": "This request's id (sent back, or made here), as in the server's logs",
}
MAX_DEPTH = 6
RETRY_AFTER = "Seconds to wait before calling again"


def _id_for(name: str) -> str | None:
    lowered = name.lower()
    for kind, example in PREFIXES.items():
        if lowered.startswith(kind) and lowered.endswith("id"):
            return example
    return None


FIELDS: dict[str, Any] = {  # by property name, where a type alone says too little
    "visibility": "public",
    "status": "ready",
    "hotlinkPolicy": "allow",
    "message": "Done.",
    "description": "Sunset over the lake.",
    "uploadUrl": f"https://pichr.example/api/v1/upload/direct/{FILE_ID}",
    "thumbnailUrl": f"https://pichr.example/t/{FILE_ID}",
    "r2Key": f"originals/{FILE_ID}",
    "width": 1920,
    "height": 1080,
    "bytes": 245760,
    "tag": "lake",
    "plan": "free",
    "scope": "read",
    "name": "laptop",
}


def _string(name: str, schema: dict[str, Any]) -> str:
    lowered = name.lower()
    hints = [
        ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("mime", "image/png"), ("email", "someone@example.com"), ("filename", "sunset.png"),
        ("etag", '"9f86d081884c7d65"'), ("phash", "c3a5b4d2e1f00f1e"),
    ]  # fmt: skip
    for hint, value in hints:
        if hint in lowered:
            return value
    if lowered.endswith("url"):
        return f"https://pichr.example/i/{FILE_ID}"
    if lowered.endswith("at") or schema.get("format") == "date-time":
        return "2026-01-01T12:00:00Z"
    return _id_for(name) or ("An example" if "title" in lowered else "example")


def example_of(schema: Any, schemas: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """A plausible value of a JSON Schema (a dict, or a Litestar Schema/Reference)."""
    if not isinstance(schema, dict):
        schema = schema.to_schema() if hasattr(schema, "to_schema") else {}
    if "example" in schema:
        return schema["example"]
    if name in FIELDS and schema.get("type") not in ("array", "object"):
        return FIELDS[name]
    if "$ref" in schema:
        owner = schema["$ref"].rsplit("/", 1)[-1]
        target = {**schemas.get(owner, {}), "x-owner": owner}
        return example_of(target, schemas, name, depth + 1) if depth < MAX_DEPTH else {}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_of(options[0], schemas, name, depth)
    if "enum" in schema:
        return schema["enum"][0]
    return _plain(schema, schemas, name, depth)


def _plain(schema: dict[str, Any], schemas: dict[str, Any], name: str, depth: int) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props, owner = schema.get("properties", {}), schema.get("x-owner", "")
        return {
            k: _id_for(owner + "id") if k == "id" and _id_for(owner + "id")
            else example_of(v, schemas, k, depth + 1)
            for k, v in props.items()
        }  # fmt: skip
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas, name.rstrip("s"), depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    scalars: dict[Any, Any] = {
        "integer": max(1, int(schema.get("minimum", 1))),
        "number": 0.5,
        "boolean": False,
        "null": None,
    }
    return scalars[kind] if kind in scalars else _string(name, schema)


def _json(content: dict[str, Any] | None) -> Any:
    return (content or {}).get("application/json")


def _headers(status: str) -> dict[str, OpenAPIHeader | Reference]:
    names = [*RATE_HEADERS, *(["Retry-After"] if status == "429" else [])]
    return {name: Reference(ref=f"#/components/headers/{name}") for name in names}


def _describe(name: str, operation: Operation, schemas: dict[str, Any]) -> None:
    operation.description = operation.description or DESCRIPTIONS.get(name)
    for parameter in operation.parameters or []:
        if (
            isinstance(parameter, Parameter)
            and parameter.param_in == "path"
            and not parameter.example
        ):
            parameter.example = _id_for(parameter.name.replace("_", "")) or 1
    body = operation.request_body
    contents = body.content if body is not None and not isinstance(body, Reference) else {}
    media = _json(contents) or next(iter(contents.values()), None)  # JSON, else a form
    if media is not None and media.example is None:
        media.example = BODIES.get(name) or example_of(media.schema, schemas)
    for status, answer in (operation.responses or {}).items():
        if not isinstance(answer, OpenAPIResponse):
            continue
        media = _json(answer.content)
        if media is not None and media.example is None and status.startswith("2"):
            media.example = example_of(media.schema, schemas)
        if name.partition(" ")[2].startswith("/api/v1/"):
            answer.headers = {**(answer.headers or {}), **_headers(status)}


def describe_operations(document: OpenAPI) -> None:
    """Descriptions, examples and the rate-limit headers, in place."""
    integer = Schema(type=OpenAPIType.INTEGER)
    headers = document.components.headers if document.components.headers is not None else {}
    headers.update(
        {n: OpenAPIHeader(schema=integer, description=d) for n, d in RATE_HEADERS.items()}
    )
    headers["X-Request-ID"] = OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING), description=RATE_HEADERS["X-Request-ID"]
    )
    headers["Retry-After"] = OpenAPIHeader(schema=integer, description=RETRY_AFTER)
    document.components.headers = headers
    schemas = {
        k: v if isinstance(v, dict) else v.to_schema()
        for k, v in document.components.schemas.items()
    }
    for name, operation in operations(document):
        _describe(name, operation, schemas)
