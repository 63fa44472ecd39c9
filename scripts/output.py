"""The CLI's one output convention: JSON on stdout with camelCase keys and RFC 3339 UTC times,
as the API writes them. An event's own fields (`payload`) keep their stored names, as the API's
history and feed show them. Logs and progress go to stderr."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

KEEP_INSIDE = frozenset({"payload"})  # an event's fields: the names in the log


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelized(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(str(k)): v if k in KEEP_INSIDE else camelized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [camelized(v) for v in value]
    return value


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def emit(payload: dict[str, Any]) -> None:
    """One JSON object (a line) on stdout."""
    sys.stdout.write(json.dumps(camelized(payload), default=_when) + "\n")
