"""The app's own route table (scripts/asgi.py build_app), for the tests generated over every
route: a route added later is covered without anyone remembering to add it to a list."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from litestar.routes import HTTPRoute

from pichr.application.settings import Settings
from pichr.domain.log import EVENTS_TABLE
from pichr.scripts.asgi import build_app

_PARAM = re.compile(r"\{(\w+):\w+\}")
BODY_METHODS = ("POST", "PUT", "PATCH")
# Written by the server on its own schedule (last use of keys, view counts), not by a command.
BOOKKEEPING = ("pichr.key.KeysUsed.", "pichr.key.KeyUsage", "pichr.tally.")


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, and what it reads from a request."""

    template: str
    method: str
    methods: tuple[str, ...]  # every method of the path, OPTIONS included
    params: tuple[str, ...]
    query: tuple[str, ...]
    headers: tuple[str, ...]
    data: Any  # the type of the handler's `data` parameter, or None

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def gated(self) -> bool:
        """Counted by the gate (X-RateLimit-*): the API, but not its own documentation."""
        return self.template.startswith("/api/v1/") and not self.template.startswith(
            "/api/v1/schema"
        )

    def path(self, values: Mapping[str, str]) -> str:
        return _PARAM.sub(lambda m: values[m.group(1)], self.template)

    def fixed_segments(self) -> list[str]:
        return [s for s in self.template.split("/") if s and not s.startswith("{")]


@functools.cache
def endpoints() -> tuple[Endpoint, ...]:
    app = build_app(Settings.from_env(), "postgresql://unused", with_projections=False)
    found = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), route  # no websocket or mounted ASGI app yet
        for method, (handler, kwargs) in sorted(route.route_handler_map.items()):
            data = handler.parsed_fn_signature.parameters.get("data")
            found.append(
                Endpoint(
                    template=route.path,
                    method=method,
                    methods=tuple(sorted(route.methods)),
                    params=tuple(_PARAM.findall(route.path)),
                    query=tuple(sorted(p.field_alias for p in kwargs.expected_query_params)),
                    headers=tuple(sorted(p.field_alias for p in kwargs.expected_header_params)),
                    data=data.annotation if data is not None else None,
                )
            )
    return tuple(found)


def send_raw(client: httpx.Client, method: str, target: str, **kwargs: Any) -> httpx.Response:
    """Send `target` byte for byte (httpx would normalise dot segments and percent escapes)."""
    request = client.build_request(method, "/", **kwargs)
    request.extensions["target"] = target.encode()
    return client.send(request)


def command_events(database_url: str) -> int:
    """Rows of the event log that a command wrote (the bookkeeping left out)."""
    skip = " AND ".join(["topic NOT LIKE %s"] * len(BOOKKEEPING))
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {EVENTS_TABLE} WHERE {skip}",
            [prefix + "%" for prefix in BOOKKEEPING],
        ).fetchone()
    assert row is not None
    return int(row[0])
