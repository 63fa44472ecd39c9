"""JSON request bodies, checked once where they are decoded (every `data` parameter is read
through Request.json()): a body nested too deeply is a 400, not a RecursionError (500), and no
string may hold a NUL. PostgreSQL text cannot store one: such an event would commit, then stop
a projection for good. Lone surrogates and numbers out of range are refused by msgspec itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from pichr.domain.errors import InvalidInputError

_NUL_ESCAPE = b"\\u0000"  # a raw NUL byte is no valid JSON; an escaped one is


class CheckedRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise InvalidInputError("The JSON body is nested too deeply.", field="body") from None
        if _NUL_ESCAPE in await self.body():  # the scan only runs on bodies that may hold one
            where = nul_at(value)
            if where is not None:
                raise InvalidInputError("Text may not contain a NUL character.", field=where)
        return value


def nul_at(value: Any) -> str | None:
    """Where in a decoded JSON value a string (or key) holds a NUL: `tags[0]`, `a.b`; None."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    return name
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None
