"""The OpenAPI document's side of the one error format: every failure of every route uses it.

Litestar documents a 400 with its own validation-error shape, which this API never sends. This
rewrites each documented 4xx/5xx answer to the error body, and adds `4XX`/`5XX` so that every
other refusal (401, 404, 429, 503, ...) is documented too, once, for all routes.
"""

from __future__ import annotations

from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

ERROR_BODY = "ErrorBody"
_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title=ERROR_BODY,
    required=["error", "message", "details"],
    properties={
        "error": Schema(type=OpenAPIType.STRING, description="The status code's name"),
        "message": Schema(type=OpenAPIType.STRING, description="What went wrong, for a person"),
        "details": Schema(type=OpenAPIType.OBJECT, description="Structured facts (fields, ids)"),
    },
)
_RANGES = {"4XX": "The request was refused", "5XX": "The server or a backing service failed"}


def _error(description: str) -> OpenAPIResponse:
    body = OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR_BODY}"))
    return OpenAPIResponse(description=description, content={"application/json": body})


def _operations(document: OpenAPI) -> list[Operation]:
    methods = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    items = (document.paths or {}).values()
    return [op for item in items for m in methods if (op := getattr(item, m, None)) is not None]


def document_errors(document: OpenAPI) -> None:
    """Point every error answer of every operation at the one error body (in place)."""
    document.components.schemas[ERROR_BODY] = _SCHEMA
    for operation in _operations(document):
        responses = operation.responses if operation.responses is not None else {}
        for code, answer in list(responses.items()):
            if code[:1] in ("4", "5"):
                described = isinstance(answer, OpenAPIResponse) and answer.description
                responses[code] = _error(described or _RANGES[f"{code[0]}XX"])
        for code, description in _RANGES.items():
            responses.setdefault(code, _error(description))
        operation.responses = responses
