"""Hostile values in every field of every JSON body (the routes and their body types read from
the route table), each in an otherwise valid body aimed at real things: a 4xx in the error
format, never a 5xx, nothing written to the event log. A NUL in a title used to commit an
event that PostgreSQL text cannot hold; 100,000-deep JSON was a RecursionError (500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import msgspec
import pytest

from tests.integration.hostile_support import EventLog, World, build_world, verdict
from tests.integration.route_table import Endpoint, endpoints
from tests.integration.server import PichrServer, assert_error

pytestmark = pytest.mark.integration

DEEP = b"[" * 100_000 + b"]" * 100_000
BIG = b'"' + b"x" * 900_000 + b'"'  # under the 1 MiB body limit: a field's own limit decides
HOSTILE_JSON = {
    "NUL in a string": b'"a\\u0000b"',
    "NUL in a list item": b'["a\\u0000b"]',
    "NUL in an object key": b'{"a\\u0000": 1}',
    "lone surrogate": b'"\\ud800"',
    "lone surrogate in a list": b'["x\\udc00"]',
    "a surrogate's raw UTF-8": b'"\xed\xa0\x80"',
    "10^5-digit number": b"9" * 100_000,
    "10^5-digit negative float": b"-0." + b"9" * 100_000 + b"e99999",
    "100,000-deep JSON": DEEP,
    "900 KB string": BIG,
    "900 KB string in a list": b"[" + BIG + b"]",
}
WHOLE_BODIES = {
    "100,000-deep body": DEEP,
    "1 MiB string": b'{"x": "' + b"y" * (1024 * 1024) + b'"}',  # over the body limit: 413
    "NUL in an unknown field": b'{"zzz": "\\u0000"}',
}


@pytest.fixture(scope="module")
def world(fs_server: PichrServer) -> World:
    return build_world(fs_server)


@pytest.fixture(scope="module")
def log(world: World) -> Iterator[EventLog]:
    events = EventLog(world.database_url)
    yield events
    events.close()


@pytest.fixture
def client(fs_server: PichrServer) -> Iterator[httpx.Client]:
    with fs_server.client(timeout=30) as c:
        yield c


def json_endpoints() -> list[Endpoint]:
    found = [e for e in endpoints() if isinstance(e.data, type)]
    assert all(issubclass(e.data, msgspec.Struct) for e in found), found
    assert len(found) >= 13, found  # every JSON body the API takes today
    return found


def spliced(base: dict[str, Any], field: str, raw: bytes) -> bytes:
    """`base` as JSON with `field` set to the raw JSON text `raw`."""
    items = [json.dumps({k: v})[1:-1].encode() for k, v in base.items() if k != field]
    return b"{" + b", ".join([*items, json.dumps(field).encode() + b": " + raw]) + b"}"


def send(client: httpx.Client, world: World, endpoint: Endpoint, body: bytes) -> httpx.Response:
    headers = {**world.boss.headers, "Content-Type": "application/json"}
    return client.request(endpoint.method, endpoint.path(world.real), content=body, headers=headers)


def test_hostile_values_in_every_json_field_are_refused(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    failures = []
    for endpoint in json_endpoints():
        base = world.body(endpoint)
        for field in msgspec.structs.fields(endpoint.data):
            for name, raw in HOSTILE_JSON.items():
                answer = send(client, world, endpoint, spliced(base, field.encode_name, raw))
                found = verdict(answer, log)
                if found:
                    failures.append(f"{endpoint} .{field.encode_name} = {name}: {found}")
    assert not failures, "\n".join(failures)


def test_hostile_whole_bodies_are_refused_by_every_json_route(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    failures = []
    for endpoint in json_endpoints():
        for name, body in WHOLE_BODIES.items():
            found = verdict(send(client, world, endpoint, body), log)
            if found:
                failures.append(f"{endpoint} {name}: {found}")
    assert not failures, "\n".join(failures)


def test_a_nul_in_a_text_field_is_a_400_naming_the_field(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    answer = client.patch(
        f"/api/v1/files/{world.real['file_id']}",
        json={"title": "ok", "tags": ["fine", "t\u0000"]},
        headers=world.boss.headers,
    )
    assert assert_error(answer, 400)["field"] == "tags[1]"
    assert not log.grew()


FORM_VALUES = {"NUL": "a\u0000b", "lone surrogate": "\ud800", "900 KB": "x" * 900_000}


@pytest.mark.parametrize("value", FORM_VALUES.values(), ids=FORM_VALUES.keys())
def test_hostile_album_page_passwords_fail_safely(
    client: httpx.Client, world: World, log: EventLog, value: str
) -> None:
    form = b"password=" + quote_from_bytes(value.encode("utf-8", "surrogatepass")).encode()
    answer = client.post(
        f"/a/{world.real['album_id']}",
        content=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert verdict(answer, log, must_refuse=False) is None


@pytest.mark.parametrize("mime", ["text/html", "image/svg+xml", "application/octet-stream"])
@pytest.mark.parametrize(
    "start",
    [
        ("/api/v1/upload/presign", {"filename": "a.png", "bytes": 100}),
        (
            "/api/v1/upload/multipart/init",
            {"filename": "a.png", "totalBytes": 10 * 1024 * 1024, "partSize": 5 * 1024 * 1024},
        ),
    ],
    ids=["presign", "multipart init"],
)
def test_uploads_of_types_no_image_has_are_refused_before_any_quota_is_reserved(
    client: httpx.Client, world: World, log: EventLog, mime: str, start: tuple[str, dict[str, Any]]
) -> None:
    path, body = start
    before = stored(client, world)
    answer = client.post(path, json={**body, "mime": mime}, headers=world.boss.headers)
    details = assert_error(answer, 415)
    assert details["mime"] == mime
    assert not log.grew()  # no upload, no reservation
    assert stored(client, world) == before


def stored(client: httpx.Client, world: World) -> tuple[object, object]:
    usage = client.get("/api/v1/usage", headers=world.boss.headers).json()
    return usage["storage"], usage["remaining"]["storageBytes"]


def test_the_bodies_hostile_values_are_spliced_into_are_valid(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    """Else a hostile value would be refused for another field's fault. (These bodies write
    events, as valid requests do; the log is read again afterwards.)"""
    refused = {}
    for endpoint in json_endpoints():
        answer = send(client, world, endpoint, json.dumps(world.body(endpoint)).encode())
        if answer.status_code == 400 or answer.status_code >= 500:
            refused[str(endpoint)] = answer.text[:200]
    log.grew()
    assert not refused, refused
