"""One canonical spelling of every request path, decided once, before anything reads it.

Litestar's router strips and collapses slashes but the middleware outside it used to read the
raw spelling, so `//api/v1/upload/presign` was routed yet never limited. The rules, applied to
the path the server decoded (so `%2F` is a slash and `%2E` a dot, as the router sees them):
- repeated slashes are one slash, and a trailing slash is dropped (as the router does);
- `.` and `..` segments are resolved (RFC 3986 5.2.4; `..` never climbs above the root);
- the fixed segments of a route match in any case (`/API/v1/Files`); ids keep their case, as
  ids are case-sensitive: where a route has both a fixed segment and an id, the fixed one wins.
A path that is already canonical costs one regular-expression match, built from the routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_PARAM = re.compile(r"\{[^}]*\}")
# A segment an id fills in a canonical path: not a dot segment, no control character (a NUL
# must reach no database), not so long that the request target needs measuring.
_ID = r"(?!\.\.?(?:/|$))[^/\x00-\x1f\x7f]{1,256}"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class _Node:
    fixed: dict[str, _Node] = field(default_factory=dict)  # segment -> child
    folded: dict[str, str] = field(default_factory=dict)  # lower-case segment -> segment
    param: _Node | None = None
    end: bool = False

    def child(self, segment: str) -> _Node:
        if _PARAM.fullmatch(segment):
            self.param = self.param or _Node()
            return self.param
        self.folded[segment.lower()] = segment
        return self.fixed.setdefault(segment, _Node())

    def pattern(self) -> str:
        """A regular expression matching exactly the canonical paths below this node."""
        parts = [f"/{re.escape(s)}{node.pattern()}" for s, node in self.fixed.items()]
        if self.param is not None:
            parts.append(f"/{_ID}{self.param.pattern()}")
        if not parts:
            return ""
        return f"(?:{'|'.join(parts)}){'?' if self.end else ''}"


class PathCanon:
    """The canonical spelling of paths for a fixed set of route templates."""

    def __init__(self, templates: Iterable[str]) -> None:
        self._root = _Node()
        for template in templates:
            node = self._root
            for segment in (s for s in template.split("/") if s):
                node = node.child(segment)
            node.end = True
        self.is_canonical = re.compile(self._root.pattern() or "/").fullmatch

    def canonical(self, path: str) -> str:
        """`path` in the one spelling the router, the gate and the logs see."""
        node: _Node | None = self._root
        segments: list[str] = []
        for given in _resolved(path):
            segment = given
            if node is not None:
                if segment not in node.fixed:
                    segment = node.folded.get(segment.lower(), segment)
                node = node.fixed.get(segment) or node.param
            segments.append(segment)
        return "/" + "/".join(segments)


def _resolved(path: str) -> list[str]:
    """The path's segments with empty and dot segments resolved."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment not in ("", "."):
            out.append(segment)
    return out
