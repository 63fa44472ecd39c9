"""What makes the OpenAPI document say what the server does, beside its errors
(api/wire/error_docs.py):

- every wire Struct's schema is msgspec's own, the one that validates it (Litestar's drops the
  constraints of list items and `forbid_unknown_fields`);
- which operations take the bearer key, and where it may be left out (anonymous callers);
- the served bytes as images and the upload PUTs as raw bytes, not JSON;
- links between operations (api/wire/openapi_links.py), for the fuzzer's stateful phase.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)

from pichr.api.wire.openapi_links import add_links

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
BEARER = "bearer"
SECURITY: list[dict[str, list[str]]] = [{BEARER: []}]  # the default: a key is needed
SECURITY_SCHEMES = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http", scheme="bearer", bearer_format="pk_ + 32 base58 characters"
        )
    }
)
# Anonymous callers may leave the key out here (anonymous uploads, public content, reports).
KEY_OPTIONAL = {
    "POST /api/v1/upload/presign",
    "POST /api/v1/upload",
    "PUT /api/v1/upload/direct/{file_id}",
    "POST /api/v1/upload/finalize",
    "GET /api/v1/files/{file_id}",
    "DELETE /api/v1/files/{file_id}",  # with the upload's X-Delete-Token
    "GET /api/v1/files/{file_id}/download",
    "GET /api/v1/albums/{album_id}",
    "POST /api/v1/moderation/report",
    "GET /i/{file_id}",
    "GET /t/{file_id}",
    "GET /a/{album_id}",  # the web pages
    "POST /a/{album_id}",
    "GET /f/{file_id}",
    "HEAD /api/v1/files/{file_id}/download",
    "HEAD /i/{file_id}",
    "HEAD /t/{file_id}",
}
NO_KEY = {"GET /health", "GET /ready", "GET /metrics"}  # probes: an API key is never looked at
RAW_BODY = {  # the bytes themselves, streamed
    "PUT /api/v1/upload/direct/{file_id}",
    "PUT /api/v1/upload/multipart/{upload_id}/parts/{number}",
}
IMAGES = {  # served bytes: (media type, whether Range and If-None-Match apply)
    "GET /i/{file_id}": ("image/*", True),
    "GET /t/{file_id}": ("image/webp", True),
    "GET /api/v1/files/{file_id}/download": ("image/*", True),
}
HEADS = {f"HEAD {name.partition(' ')[2]}" for name in IMAGES}  # the headers of GET, no bytes


def operations(document: OpenAPI) -> list[tuple[str, Operation]]:
    """("METHOD /path", operation) of every documented operation."""
    return [
        (f"{method.upper()} {path}", op)
        for path, item in (document.paths or {}).items()
        for method in METHODS
        if (op := getattr(item, method, None)) is not None
    ]


def struct_types() -> dict[str, type[msgspec.Struct]]:
    """The API's wire Structs by name (every module of the API is imported by create_app)."""
    found: dict[str, type[msgspec.Struct]] = {}
    todo: list[type[msgspec.Struct]] = [msgspec.Struct]
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        if kind.__module__.startswith("pichr.api."):
            found[kind.__name__] = kind
    return found


def _any(kind: type) -> dict[str, Any]:
    """`object` (as in `dict[str, object]`): any JSON value."""
    if kind is object:
        return {"description": "Any JSON value"}
    raise NotImplementedError


def struct_schemas(document: OpenAPI) -> None:
    schemas = document.components.schemas
    structs = struct_types()
    named = [structs[name] for name in schemas if name in structs]
    _, generated = msgspec.json.schema_components(
        named, schema_hook=_any, ref_template="#/components/schemas/{name}"
    )
    # Plain JSON Schema dicts: the document's serializer writes them out as they are.
    schemas.update(generated)


def _binary(media: str) -> dict[str, OpenAPIMediaType]:
    schema = Schema(type=OpenAPIType.STRING, content_media_type=media)
    return {media: OpenAPIMediaType(schema=schema)}


def _served(operation: Operation, media: str, ranges: bool) -> None:
    responses = operation.responses or {}
    responses["200"] = OpenAPIResponse(description="The bytes", content=_binary(media))
    if ranges:
        header = OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="bytes a-b/n")
        responses["206"] = OpenAPIResponse(
            description="One byte range (Range)",
            content=_binary(media),
            headers={"Content-Range": header},
        )
        responses["304"] = OpenAPIResponse(description="Not modified (If-None-Match)")
    operation.responses = dict(sorted(responses.items()))


def _served_head(operation: Operation) -> None:
    responses = operation.responses or {}
    responses["200"] = OpenAPIResponse(description="The headers of GET, without the bytes")
    responses["206"] = OpenAPIResponse(description="The headers of one byte range (Range)")
    responses["304"] = OpenAPIResponse(description="Not modified (If-None-Match)")
    operation.responses = dict(sorted(responses.items()))


def complete_document(document: OpenAPI) -> None:
    struct_schemas(document)
    for name, operation in operations(document):
        if name in KEY_OPTIONAL:
            operation.security = [*SECURITY, {}]
        elif name in NO_KEY:
            operation.security = []
        if name in RAW_BODY:
            raw = Schema(type=OpenAPIType.STRING, content_media_type="application/octet-stream")
            body = {"application/octet-stream": OpenAPIMediaType(schema=raw)}
            operation.request_body = RequestBody(content=body, required=True)
        if name in IMAGES:
            _served(operation, *IMAGES[name])
        elif name in HEADS:
            _served_head(operation)
    add_links(document, dict(operations(document)))
