"""Opaque keyset cursors for deep pages of `GET /files` (offset stays for compatibility)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import msgspec

from domain.errors import InvalidInputError


def encode_cursor(sort: str, order: str, row: dict[str, Any], column: str) -> str:
    value = row[column]
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = msgspec.json.encode([sort, order, value, row["id"]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, order: str) -> tuple[Any, str]:
    """(sort value, id) after which the next page starts; 400 for anything not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c_sort, c_order, value, last_id = msgspec.json.decode(raw, type=tuple[str, str, Any, str])
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidInputError("The cursor is not valid.", field="cursor") from None
    if (c_sort, c_order) != (sort, order):
        raise InvalidInputError("The cursor belongs to another sort order.", field="cursor")
    if sort == "created":
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInputError("The cursor is not valid.", field="cursor") from None
    elif not isinstance(value, int):
        raise InvalidInputError("The cursor is not valid.", field="cursor")
    return value, last_id
