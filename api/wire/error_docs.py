"""The OpenAPI document's side of the one error format: every refusal a route may answer, each
in the error body, so that the document says what the server does (it is fuzzed against it).

Litestar documents a 400 with its own validation-error shape, which this API never sends. This
points each documented 4xx/5xx answer at the error body and adds, for each operation, the
refusals it can give: those every API call shares (bad input, a bad key, the plan's limits, a
backing service down), a body over the size limit where there is a body, and the route's own.
"""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

from pichr.api.errors import NAMES
from pichr.api.wire.openapi_docs import complete_document, operations
from pichr.api.wire.operation_docs import describe_operations
from pichr.api.wire.schemas import ErrorOut

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
WHY = {
    400: "The request is malformed or a field is invalid",
    401: "No key where one is needed, or a malformed, unknown, revoked or expired key",
    402: "The upload would exceed the account's storage quota",
    403: "The key lacks the scope, or the caller may not do this (not the owner, safe mode)",
    404: "No such resource, or none the caller may see",
    409: "A conflicting state or a concurrent change; retry or start over",
    410: "Deleted, expired, abandoned, or removed by a moderator",
    413: "The body or the declared size exceeds a limit",
    415: "Not an image type this server accepts",
    414: "The request target is too long",
    416: "The range is not satisfiable",
    429: "A rate limit; see Retry-After",
    431: "The request's headers are too large",
    451: "Withheld by moderation",
    503: "A backing service is unavailable; retry shortly",
}
HYGIENE = (400, 414, 431)  # every request: a control character, a long target or head
API = (400, 401, 429, 503)  # every /api/v1 call passes the gate (api/middleware/gate.py)
SERVED = (400, 401, 503)  # /i and /t: a key is looked at, but no plan limit counts them
FILE = (403, 404, 410, 451)  # the owner or safe mode; private or unknown; gone; withheld
STARTS = (402, 403, 413, 415)  # an upload's quota, plan size and type are checked at its start
UPLOADING = (403, 404, 409, 410)  # someone else's, unknown, already done, abandoned
ALBUM = (403, 404, 409, 410)
# The web pages answer their own refusals as HTML pages (api/routes/pages.py); a bad key, or a
# body Litestar cannot read, in the one error body.
PAGE = (401, 403, 404, 410, 451)
PAGES = {
    "GET /a/{album_id}": (*PAGE, 429),
    "POST /a/{album_id}": (*PAGE, 429),
    "GET /f/{file_id}": PAGE,
}
ADMIN = (403, 404, 409, 410)  # 410: an account already deleted
MP, AD = "/api/v1/upload/multipart", "/api/v1/admin"
ADMIN_ROUTES = [
    ("POST", "accounts"),
    ("PATCH", "accounts/{account_id}"),
    ("DELETE", "accounts/{account_id}"),
    ("POST", "accounts/{account_id}/erase"),
    ("GET", "keys"),
    ("POST", "keys"),
    ("DELETE", "keys/{key_id}"),
    ("GET", "events"),
    ("GET", "files/{file_id}"),
    ("GET", "files/{file_id}/history"),
    ("GET", "reports"),
    ("GET", "reports/{report_id}"),
    ("POST", "reports/{report_id}/resolve"),
    ("DELETE", "reports/{report_id}/email"),
]
OWN: dict[str, tuple[int, ...]] = {  # each operation's own refusals, beside API (or SERVED)
    "POST /api/v1/upload/presign": STARTS,
    "POST /api/v1/upload": (*STARTS, 404, 410, 451),  # the album; undecodable; blocklisted
    "PUT /api/v1/upload/direct/{file_id}": (*UPLOADING, 413, 415),  # the bytes: size, type
    "POST /api/v1/upload/finalize": (*UPLOADING, 415, 451),  # undecodable; blocklisted
    f"POST {MP}/init": STARTS,
    f"PUT {MP}/{{upload_id}}/parts/{{number}}": (*UPLOADING, 413),
    f"GET {MP}/{{upload_id}}": UPLOADING,
    f"POST {MP}/complete": UPLOADING,
    f"DELETE {MP}/{{upload_id}}": UPLOADING,
    "GET /api/v1/files": (403,),
    "GET /api/v1/files/{file_id}": FILE,
    "PATCH /api/v1/files/{file_id}": (*FILE, 409),
    "DELETE /api/v1/files/{file_id}": (*FILE, 409),
    **{
        f"{method} {path}": (*FILE, 416)
        for method in ("GET", "HEAD")
        for path in ("/api/v1/files/{file_id}/download", "/i/{file_id}", "/t/{file_id}")
    },
    "GET /api/v1/albums": (403,),
    "POST /api/v1/albums": ALBUM,
    "GET /api/v1/albums/{album_id}": ALBUM,
    "PATCH /api/v1/albums/{album_id}": ALBUM,
    "DELETE /api/v1/albums/{album_id}": ALBUM,
    "POST /api/v1/albums/{album_id}/files": ALBUM,
    "DELETE /api/v1/albums/{album_id}/files/{file_id}": ALBUM,
    "GET /api/v1/usage": (),
    "POST /api/v1/moderation/report": (404, 410),
    **{f"{method} {AD}/{path}": ADMIN for method, path in ADMIN_ROUTES},
    **PAGES,
    "GET /health": (),
    "GET /ready": (),
}


def refusal_specs(*codes: int) -> dict[int, ResponseSpec]:
    """A route's own refusals for its decorator's `responses`, each in the one error body."""
    return {
        code: ResponseSpec(
            data_container=ErrorOut, description=NAMES[code], generate_examples=False
        )
        for code in codes
    }


def _error(description: str, page: bool = False) -> OpenAPIResponse:
    body = OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR_BODY}"))
    content = {"application/json": body}
    if page:  # the refusal as a web page, or (a bad key) in the error body
        content["text/html"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
    return OpenAPIResponse(description=description, content=content)


def refusals(name: str, operation: Operation) -> set[int]:
    """Every refusal the operation named "METHOD /path" may answer."""
    path = name.partition(" ")[2]
    shared = API if path.startswith("/api/v1/") else SERVED if path[:3] in ("/i/", "/t/") else ()
    sized = (413,) if operation.request_body is not None else ()
    return {*HYGIENE, *shared, *sized, *OWN.get(name, ())}


def document_errors(document: OpenAPI) -> None:
    """Document every operation's refusals in the one error body (in place), then the rest of
    what makes the document say what the server does (api/wire/openapi_docs.py)."""
    document.components.schemas[ERROR_BODY] = _SCHEMA
    for name, operation in operations(document):
        responses = operation.responses if operation.responses is not None else {}
        for refusal in refusals(name, operation):
            responses.setdefault(str(refusal), _error(WHY[refusal]))
        for code, answer in list(responses.items()):
            if code[:1] in ("4", "5"):
                described = isinstance(answer, OpenAPIResponse) and answer.description
                page = int(code) in PAGES.get(name, ())
                responses[code] = _error(WHY.get(int(code)) or described or "Refused", page)
        operation.responses = dict(sorted(responses.items()))
    complete_document(document)
    describe_operations(document)
