"""One cell of the scope matrix as a request: the route's path filled with a target in the cell's
state (a target of its own when the cell may use it up), the caller's key, and a valid body, so
that the only thing a cell varies is who asks about what."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.integration.scope_rules import AD, ALBUM_ID, FILE_ID, MP, OK, OUTCOMES, UP, A, Caller
from tests.integration.scope_rules import Route as Rule
from tests.integration.scope_world import World
from tests.integration.server import image

Ids = dict[str, Any]
OCTETS = {"Content-Type": "application/octet-stream"}
PNG = image(size=(8, 8))


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    caller: Caller
    state: str
    rule: Rule

    @property
    def name(self) -> str:
        path = re.sub(r":\w+\}", "}", self.path)
        return f"{self.method} {path} | {self.caller.name} | {self.state}"

    @property
    def uses_up(self) -> bool:
        """It may change its target for good: only where the owner could succeed."""
        live = OUTCOMES[self.rule.target][self.state][0] == OK
        return self.rule.uses_up and live and not self.caller.bad


def _base(state: str) -> str:
    return state.split("+", maxsplit=1)[0]


def _file_target(world: World, cell: Cell) -> Ids:
    state = _base(cell.state)
    if cell.uses_up and cell.rule.target == "file delete":
        anonymous = state == "anon"
        return {"file_id": world.fresh_file("public" if anonymous else state, anonymous)}
    return {"file_id": world.files[state]}


def _upload_target(world: World, cell: Cell) -> Ids:
    state = cell.state
    if cell.rule.target == "multipart":
        made = world.fresh_multipart(cell.method == "POST") if cell.uses_up else None
    else:
        made = world.presign(state == "anon") if cell.uses_up else None
    made = made or world.uploads[state]
    return {"made": made, "upload_id": made["uploadId"], "file_id": made["fileId"], "number": 1}


def _other_target(world: World, cell: Cell) -> Ids:
    ids: Ids = {**world.misc, "path": "openapi.yaml", "name": "pichr-docs.js"}
    if cell.uses_up and "/accounts/" in cell.path:
        ids["account_id"] = world.fresh_account("free")
    elif cell.uses_up and "/keys/" in cell.path:
        ids["key_id"] = world.fresh_key(world.misc["account_id"])["id"]
    elif cell.uses_up and "/reports/" in cell.path:
        ids["report_id"] = world.report(world.files["public"])
    return ids


def target(world: World, cell: Cell) -> Ids:
    kind = cell.rule.target
    if kind.startswith(("file", "bytes")):
        return _file_target(world, cell)
    if kind.startswith("album"):
        album = world.fresh_album(cell.state) if cell.uses_up else world.albums[cell.state]
        return {"album_id": album, "file_id": world.files["public"]}
    if kind in ("direct", "finalize", "multipart"):
        return _upload_target(world, cell)
    return _other_target(world, cell)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _part(t: Ids) -> dict[str, Any]:
    return {"content": t["made"]["data"], "headers": OCTETS}


def _completed(t: Ids) -> dict[str, Any]:
    parts = [{"partNumber": 1, "etag": t["made"]["etag"] or "none"}]
    return {"json": {"uploadId": t["upload_id"], "fileId": t["file_id"], "parts": parts}}


def _presigned(t: Ids) -> dict[str, Any]:
    return {"json": {"filename": "m.jpg", "mime": "image/jpeg", "bytes": 1000}}


def _form(t: Ids) -> dict[str, Any]:
    return {"files": {"file": ("m.png", PNG, "image/png")}}


def _multipart(t: Ids) -> dict[str, Any]:
    body = {"filename": "m.jpg", "mime": "image/jpeg", "totalBytes": 1000}
    return {"json": {**body, "partSize": 5 * 1024 * 1024}}


def _email(t: Ids) -> dict[str, Any]:
    return {"json": {"email": f"{datetime.now(UTC).timestamp()}@test.invalid"}}


def _title(t: Ids) -> dict[str, Any]:
    return {"json": {"title": "matrix"}}


# What each route sends besides the path (the rest send nothing).
BODIES: dict[tuple[str, str], Callable[[Ids], dict[str, Any]]] = {
    ("POST", f"{UP}/presign"): _presigned,
    ("POST", UP): _form,
    ("PUT", f"{UP}/direct/{FILE_ID}"): _part,
    ("POST", f"{UP}/finalize"): lambda t: {
        "json": {"uploadId": t["upload_id"], "fileId": t["file_id"]}
    },
    ("POST", f"{MP}/init"): _multipart,
    ("PUT", f"{MP}/{{upload_id:str}}/parts/{{number:int}}"): _part,
    ("POST", f"{MP}/complete"): _completed,
    ("PATCH", f"{A}/files/{FILE_ID}"): _title,
    ("POST", f"{A}/albums"): _title,
    ("PATCH", f"{A}/albums/{ALBUM_ID}"): _title,
    ("POST", f"{A}/albums/{ALBUM_ID}/files"): lambda t: {"json": {"fileIds": [t["file_id"]]}},
    ("POST", f"/a/{ALBUM_ID}"): lambda t: {"data": {"password": ""}},
    ("POST", f"{A}/moderation/report"): lambda t: {
        "json": {"fileId": t["file_id"], "reason": "spam"}
    },
    ("POST", f"{AD}/accounts"): _email,
    ("PATCH", f"{AD}/accounts/{{account_id:str}}"): lambda t: {"json": {"plan": "pro"}},
    ("POST", f"{AD}/accounts/{{account_id:str}}/erase"): lambda t: {"json": {"reason": "matrix"}},
    ("POST", f"{AD}/keys"): lambda t: {"json": {"accountId": t["account_id"], "scopes": ["read"]}},
    ("GET", f"{AD}/files/{FILE_ID}"): lambda t: {"params": {"asOf": _now()}},
    ("POST", f"{AD}/reports/{{report_id:str}}/resolve"): lambda t: {
        "json": {"action": "dismiss", "reason": "matrix"}
    },
}


def _headers(world: World, cell: Cell, ids: Ids) -> dict[str, str]:
    headers = {} if cell.caller.account is None else {"Authorization": world.keys[cell.caller.name]}
    if cell.caller.bad:
        headers["Authorization"] = world.keys[cell.caller.name]
    if cell.state.endswith("safe-off"):
        headers["X-Safe-Mode"] = "off"
    if cell.state.endswith("token"):
        token = {"+token": world.tokens.get(ids["file_id"], ""), "+empty-token": ""}
        headers["X-Delete-Token"] = token.get(cell.state[cell.state.index("+") :], "wrong")
    return headers


def request(world: World, cell: Cell) -> dict[str, Any]:
    """The keyword arguments of httpx.Client.request for the cell."""
    ids = target(world, cell)
    url = re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)]), cell.path)
    if cell.rule.target == "direct":
        url = ids["made"]["uploadUrl"]  # with the anonymous upload's token
    extra = BODIES.get((cell.method, cell.path), lambda t: {})(ids)
    headers = {**_headers(world, cell, ids), **extra.pop("headers", {})}
    return {"method": cell.method, "url": url, "headers": headers, **extra}
