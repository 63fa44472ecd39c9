"""Opaque keyset cursors for deep pages of `GET /files` (offset stays for compatibility)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import msgspec

from pichr.domain import ids
from pichr.domain.errors import InvalidInputError

_BIGINT = 2**63  # views and bytes are PostgreSQL bigint columns


def encode_cursor(sort: str, order: str, value: Any, last_id: str) -> str:
    """The cursor after the row whose sort value is `value` and whose id is `last_id`."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = msgspec.json.encode([sort, order, value, last_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, order: str) -> tuple[Any, str]:
    """(sort value, id) after which the next page starts; 400 for anything not ours (each part
    is checked before it reaches SQL: a forged cursor must not become a 500)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c_sort, c_order, value, last_id = msgspec.json.decode(raw, type=tuple[str, str, Any, str])
        ids.to_uuid(ids.FILE, last_id)  # a file id, so no NUL and no text of any length
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidInputError("The cursor is not valid.", field="cursor") from None
    if (c_sort, c_order) != (sort, order):
        raise InvalidInputError("The cursor belongs to another sort order.", field="cursor")
    return _sort_value(value, sort), last_id


def _sort_value(value: Any, sort: str) -> Any:
    if sort == "created":
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            pass
    elif type(value) is int and -_BIGINT <= value < _BIGINT:  # a bool is no int to PostgreSQL
        return value
    raise InvalidInputError("The cursor is not valid.", field="cursor")
