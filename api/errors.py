"""One table from errors to HTTP, and the error body every failure uses."""

from __future__ import annotations

import logging
import re
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from psycopg import OperationalError
from psycopg_pool import PoolTimeout

from pichr.application.blobs.port import BlobStoreUnavailableError
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.uploads.guarded import SniffFailedError, TooLargeError
from pichr.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    GoneError,
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
    RangeNotSatisfiableError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
)
from pichr.domain.quota import QuotaExceededError

log = logging.getLogger("pichr.api")

STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFoundError: (404, "Not Found"),
    GoneError: (410, "Gone"),
    ConflictError: (409, "Conflict"),
    ForbiddenError: (403, "Forbidden"),
    InvalidInputError: (400, "Bad Request"),
    UnauthenticatedError: (401, "Unauthorized"),
    LegalHoldError: (451, "Unavailable For Legal Reasons"),
    QuotaExceededError: (402, "Payment Required"),
    TooLargeError: (413, "Payload Too Large"),
    SniffFailedError: (415, "Unsupported Media Type"),
    UnsupportedMediaError: (415, "Unsupported Media Type"),
    RangeNotSatisfiableError: (416, "Range Not Satisfiable"),
    RateLimitedError: (429, "Too Many Requests"),
    UnavailableError: (503, "Service Unavailable"),
}
NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_AT = re.compile(r"at `\$\.?([^`]*)`")
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")


def error_response(
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = {"error": NAMES.get(status, "Error"), "message": message, "details": details or {}}
    return Response(body, status_code=status, headers=headers)


def status_of(exc: DomainError) -> int:
    return next((code for kind, (code, _) in STATUS.items() if isinstance(exc, kind)), 400)


def retry_headers(exc: DomainError) -> dict[str, str] | None:
    return None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}


def refusal(exc: DomainError) -> tuple[int, str, dict[str, str]]:
    """Status, message and headers of a refusal, for answers in another format (pages)."""
    return status_of(exc), exc.message, retry_headers(exc) or {}


def handle_domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    return error_response(status_of(exc), exc.message, dict(exc.details), retry_headers(exc))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    details: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        details = {"fields": _fields(exc.extra)}
        message = "The request is malformed or a field is invalid."
        return error_response(400, message, details)
    if isinstance(exc.extra, dict):
        details = exc.extra
    headers = dict(exc.headers or {})
    return error_response(exc.status_code, str(exc.detail), details, headers or None)


def handle_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.warning("dependency unavailable: %s", exc)
    message = "A backing service is unavailable; retry shortly."
    return error_response(503, message, headers={"Retry-After": "1"})


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "An unexpected error occurred.")


def _fields(extra: Any) -> list[dict[str, str]]:
    fields = []
    for item in extra if isinstance(extra, list) else []:
        message = str(item.get("message", ""))
        found = _AT.search(message) or _UNKNOWN.search(message)
        key = item.get("key") if item.get("key") not in (None, "data") else None
        key = key or (found.group(1) if found else "")
        fields.append(
            {
                "field": str(key or "body"),
                "source": str(item.get("source", "body")),
                "message": message,
            }
        )
    return fields


HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: handle_domain,
    HTTPException: handle_http,
    BlobStoreUnavailableError: handle_unavailable,
    OperationalError: handle_unavailable,
    PoolTimeout: handle_unavailable,
    StoreOperationalError: handle_unavailable,
    StoreInterfaceError: handle_unavailable,
    Exception: handle_unexpected,
}
