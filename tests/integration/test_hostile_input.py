"""Hostile values in every id path parameter, query parameter (the cursor included) and header
the API reads (all read from the route table): a 4xx in the error format, never a 5xx, and
nothing written to the event log. A NUL in an id used to reach PostgreSQL (a 500); a forged
cursor, a Range of 5000 digits and an unparsable Referer too."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.hostile_support import EventLog, World, build_world, verdict
from tests.integration.route_table import BODY_METHODS, Endpoint, endpoints, send_raw
from tests.integration.server import PichrServer

pytestmark = pytest.mark.integration

HOSTILE_IDS = {
    "NUL": "x%00",
    "NUL alone": "%00",
    "control character": "x%01y",
    "lone surrogate (its UTF-8)": "x%ED%A0%80",
    "invalid UTF-8": "%FF%FE",
    "5000-digit number": "9" * 5000,
    "7 KB string": "x" * 7000,
    "right-to-left override": "%E2%80%AEx",
}
HOSTILE_QUERY = {  # value, and whether every route must refuse it
    "NUL": ("x%00", True),
    "5000-digit number": ("9" * 5000, True),
    "7 KB string": ("x" * 7000, True),
    # decoded to U+FFFD (as any invalid UTF-8 is): a harmless value, a text filter may take it
    "lone surrogate (its UTF-8)": ("%ED%A0%80", False),
}


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


FORGED_CURSORS = {
    "NUL in its id": _cursor("created", "desc", "2026-01-01T00:00:00+00:00", "file_x\u0000"),
    "NUL in its value": _cursor("created", "desc", "2026\u0000", "file_x"),
    "a boolean as views": _cursor("views", "desc", True, "file_2"),
    "a number beyond bigint": _cursor("views", "desc", 10**40, "file_2"),
    "a 300-digit number": _cursor("views", "desc", int("9" * 300), "file_2"),
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe[").decode(),
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


def keyed(client: httpx.Client, world: World, endpoint: Endpoint, target: str) -> httpx.Response:
    """The request with the boss's key and a body the route accepts: only `target` is wrong."""
    body: dict[str, object] = {}
    if endpoint.method not in BODY_METHODS:
        pass
    elif endpoint.data is None:  # the PUT routes take raw bytes
        body = {"content": b"\x89PNG\r\n\x1a\n" + bytes(100)}
    elif endpoint.template.startswith("/a/"):  # the album page's password form
        body = {"data": world.body(endpoint)}
    else:
        body = {"json": world.body(endpoint)}
    return send_raw(client, endpoint.method, target, headers=world.boss.headers, **body)


def test_hostile_ids_in_every_path_parameter_are_refused(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    failures = []
    for endpoint in endpoints():
        for param in endpoint.params:
            for name, value in HOSTILE_IDS.items():
                target = endpoint.path({**world.real, param: value})
                answer = keyed(client, world, endpoint, target)
                # OPTIONS looks nothing up: it may answer 204 for any id
                found = verdict(answer, log, must_refuse=endpoint.method != "OPTIONS")
                if found:
                    failures.append(f"{endpoint} {{{param}}} = {name}: {found}")
    assert not failures, "\n".join(failures)


def test_hostile_values_in_every_query_parameter_are_refused(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    failures = []
    for endpoint in endpoints():
        path = endpoint.path(world.real)
        for param in endpoint.query:
            for name, (value, refused) in HOSTILE_QUERY.items():
                answer = keyed(client, world, endpoint, f"{path}?{param}={value}")
                found = verdict(answer, log, must_refuse=refused)
                if found:
                    failures.append(f"{endpoint} ?{param}= {name}: {found}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("forged", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
@pytest.mark.parametrize("sort", ["created", "views", "size"])
def test_forged_cursors_are_a_400(
    client: httpx.Client, world: World, log: EventLog, forged: str, sort: str
) -> None:
    params = {"cursor": forged, "sort": sort}
    answer = client.get("/api/v1/files", params=params, headers=world.boss.headers)
    assert answer.status_code == 400, answer.text
    assert verdict(answer, log) is None


def header_targets(world: World) -> dict[str, list[tuple[str, str, bool]]]:
    """(method, path, with the boss's key) for each header the API reads."""
    file_id, album_id = world.real["file_id"], world.real["album_id"]
    served = [("GET", f"/i/{file_id}", True), ("GET", f"/t/{file_id}", True)]
    return {
        "Authorization": [("GET", "/api/v1/files", False), ("GET", f"/i/{file_id}", False)],
        "X-Safe-Mode": [
            *served,
            ("GET", f"/api/v1/files/{file_id}", True),
            ("GET", f"/api/v1/files/{file_id}/download", True),
            ("GET", f"/api/v1/albums/{album_id}", True),
        ],
        "X-Album-Password": [
            ("GET", f"/api/v1/albums/{album_id}", True),
            ("GET", f"/a/{album_id}", False),
        ],
        # Without a key: only the token decides, and a wrong one must delete nothing.
        "X-Delete-Token": [("DELETE", f"/api/v1/files/{world.anonymous_file}", False)],
        "Range": served,
        "If-None-Match": served,
        "X-Request-ID": [("GET", "/api/v1/files", True), *served],
        "Referer": served,
    }


HOSTILE_HEADERS = {
    "lone surrogate (its UTF-8)": b"\xed\xa0\x80",
    "invalid UTF-8": b"\xff\xfe",
    "5000-digit number": b"9" * 5000,
    "10^5-digit number": b"9" * 100_000,  # over our 32 KiB head: our 431
    "30 KB string": b"x" * 30_000,
    "Bearer and junk": b"Bearer pk_\xff" + b"9" * 5000,
    "range of 5000 digits": b"bytes=" + b"9" * 5000 + b"-",
    "suffix of 5000 digits": b"bytes=-" + b"9" * 5000,
    "end of 5000 digits": b"bytes=0-" + b"9" * 5000,
    "broken URL": b"http://[::1",
    "etag list": b'"x", ' * 4000 + b'"y"',
}


def test_hostile_values_in_every_header_the_api_reads_fail_safely(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    targets = header_targets(world)
    read = {h for e in endpoints() for h in e.headers}
    assert read <= set(targets), f"add targets for {read - set(targets)} to header_targets"
    failures = []
    for header, routes in targets.items():
        for method, path, with_key in routes:
            for name, value in HOSTILE_HEADERS.items():
                headers = {**(world.boss.headers if with_key else {}), header: value}
                answer = client.request(method, path, headers=headers)
                # An ignored value may be served (200, 206); what fails must fail cleanly.
                found = verdict(answer, log, must_refuse=header == "X-Delete-Token")
                if found:
                    failures.append(f"{method} {path} {header}: {name}: {found}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("headers", "limit"),
    [
        ({"X-Padding": "x" * 40_000}, 32 * 1024),
        ({f"X-Field-{i}": "x" for i in range(70)}, 64),
    ],
    ids=["40 KB of headers", "70 header fields"],
)
def test_oversized_headers_are_a_431_in_the_error_format(
    client: httpx.Client, world: World, log: EventLog, headers: dict[str, str], limit: int
) -> None:
    for path in ("/api/v1/files", f"/i/{world.real['file_id']}", "/health"):
        answer = client.get(path, headers={**world.boss.headers, **headers})
        assert answer.status_code == 431, (path, answer.text)
        assert answer.json()["details"]["limit"] == limit
        assert verdict(answer, log) is None


def test_a_target_over_8_kib_is_a_414_in_the_error_format(
    client: httpx.Client, world: World, log: EventLog
) -> None:
    for target in ("/api/v1/files?types=" + "x" * 9000, "/i/" + "x" * 9000):
        answer = send_raw(client, "GET", target, headers=world.boss.headers)
        assert answer.status_code == 414, (target[:40], answer.text)
        assert verdict(answer, log) is None


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /api/v1/files?limit=" + b"9" * 100_000 + b" HTTP/1.1\r\n", 414),
        (b"GET /api/v1/files HTTP/1.1\r\nX-Padding: " + b"x" * 1_000_000 + b"\r\n", 431),
        (b"GET /api/v1/files HTTP/1.1\r\n" + b"X-F: x\r\n" * 120, 431),
        (b"GET /api/v1/files HTTP/1.1\r\nAuthorization: Bearer pk_\x00\r\n", 400),
        (b"GET /api/v1/files HTTP/1.1\r\nX-Delete-Token: a\x00b\r\n", 400),
    ],
    ids=["10^5-digit query", "1 MB header", "120 fields", "NUL in a key", "NUL in a token"],
)
def test_what_granian_refuses_never_reaches_the_app(
    fs_server: PichrServer, log: EventLog, head: bytes, status: int
) -> None:
    """Over granian's own caps (a 64 KiB target, a ~408 KiB head or 100 fields) and for a NUL
    in a header, granian answers itself, with an empty body (README: Limits)."""
    import socket  # noqa: PLC0415

    with socket.create_connection(("127.0.0.1", fs_server.port), timeout=10) as conn:
        conn.sendall(head + b"Host: x\r\n\r\n")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:100]
    assert not log.grew()
