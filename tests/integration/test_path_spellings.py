"""Every route of the app (read from its route table) under every spelling of its path answers
exactly what the plain path answers, and is counted by the limiter like it: `//api/v1/...`,
`/api//v1/...` and `/%2Fapi/...` used to pass the gate uncounted (unlimited anonymous uploads,
key guessing not counted). OPTIONS lists every method of each path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from pichr.domain import ids
from tests.integration.route_table import BODY_METHODS, Endpoint, endpoints, send_raw
from tests.integration.server import Account, PichrServer, assert_error, image, upload

pytestmark = pytest.mark.integration


def spellings(endpoint: Endpoint, plain: str) -> dict[str, str]:
    """Other spellings of `plain`, each of which the router routes to the same route."""
    segments = plain.strip("/").split("/")
    head, tail = segments[0], "".join("/" + s for s in segments[1:])
    fixed = set(endpoint.fixed_segments())
    shouted = [s.upper() if s in fixed else s for s in segments]
    return {
        "leading //": "/" + plain,
        "every / doubled": "/" + "//".join(segments) + "//",
        "trailing /": plain + "/",
        "dot segment": f"/{head}/.{tail}",
        "dot-dot segment": f"/{head}/x/..{tail}",
        "encoded leading /": "/%2F" + plain[1:],
        "encoded slashes": "/" + "%2F".join(segments),
        "encoded dot": f"/{head}/%2E{tail}",
        "fixed segments upper-case": "/" + "/".join(shouted),
        "all at once": "//" + "/./".join(shouted) + "/",
    }


@dataclass(frozen=True)
class World:
    boss: Account  # every scope, on a plan whose limits this module cannot exhaust
    real: dict[str, str]  # path values that exist and are the boss's
    fake: dict[str, str]  # values of the same shapes that name nothing


@pytest.fixture(scope="module")
def world(fs_server: PichrServer) -> World:
    boss = fs_server.new_account("read,upload,write,admin", plan="enterprise")
    with fs_server.client() as client:
        file_id = upload(client, boss, image(seed=41)).file_id
        made = client.post(
            "/api/v1/albums", json={"title": "spelled", "fileIds": [file_id]}, headers=boss.headers
        )
        assert made.status_code == 201, made.text
    fake = {
        "file_id": ids.to_public(ids.FILE, ids.new_uuid()),
        "album_id": ids.to_public(ids.ALBUM, ids.new_uuid()),
        "upload_id": ids.to_public(ids.UPLOAD, ids.new_uuid()),
        "account_id": ids.to_public(ids.ACCOUNT, ids.new_uuid()),
        "key_id": ids.to_public(ids.KEY, ids.new_uuid()),
        "report_id": ids.to_public(ids.REPORT, ids.new_uuid()),
        "number": "1",
        "path": "no-such-document",
        "name": "no-such-asset.js",
    }
    return World(boss, {**fake, "file_id": file_id, "album_id": made.json()["id"]}, fake)


@pytest.fixture
def client(fs_server: PichrServer) -> Iterator[httpx.Client]:
    with fs_server.client() as c:
        yield c


def call(client: httpx.Client, world: World, endpoint: Endpoint, target: str) -> httpx.Response:
    body = {"content": b"{}"} if endpoint.method in BODY_METHODS else {}
    headers = {**world.boss.headers, "Content-Type": "application/json"}
    return send_raw(client, endpoint.method, target, headers=headers, **body)


def differences(plain: httpx.Response, other: httpx.Response) -> list[str]:
    """What a user would notice: the status, the error body, the methods OPTIONS allows."""
    found = []
    if other.status_code != plain.status_code:
        found.append(f"status {other.status_code} != {plain.status_code}: {other.text[:200]}")
    elif plain.status_code >= 400 and _body(other) != _body(plain):
        found.append(f"error body {_body(other)!r} != {_body(plain)!r}")
    if other.headers.get("allow") != plain.headers.get("allow"):
        found.append(f"Allow {other.headers.get('allow')} != {plain.headers.get('allow')}")
    return found


def _body(answer: httpx.Response) -> object:
    """The error format as data; an HTML error page (the album and file pages) as its text;
    a HEAD answer's empty body as it is."""
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    return answer.json() if is_json and answer.content else answer.text


class Counters:
    """The caller's call (and upload) windows: each gated request must move them by one."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, str]] = {}

    def moved(self, answer: httpx.Response, counted: bool) -> list[str]:
        found = []
        for name in ("x-ratelimit-remaining", "x-upload-ratelimit-remaining"):
            value, reset = answer.headers.get(name), answer.headers.get("x-ratelimit-reset", "")
            if value is None:
                if counted and name == "x-ratelimit-remaining":
                    found.append("not counted: no X-RateLimit-Remaining")
                continue
            before = self.last.get(name)
            if before is not None and before[1] == reset and int(value) != before[0] - 1:
                found.append(f"{name} went {before[0]} -> {value}, not down by one")
            self.last[name] = (int(value), reset)
        if not counted and "x-ratelimit-remaining" in answer.headers:
            found.append("counted, though the route is not limited")
        return found


def test_every_route_answers_the_same_under_every_spelling_and_is_counted(
    client: httpx.Client, world: World
) -> None:
    failures: list[str] = []
    counters = Counters()
    for endpoint in endpoints():
        # Reads name the boss's own file and album; changes name nothing, so no call changes
        # what the next spelling sees.
        plain = endpoint.path(world.real if endpoint.method in ("GET", "OPTIONS") else world.fake)
        first = call(client, world, endpoint, plain)
        failures += [f"{endpoint} {plain}: {f}" for f in counters.moved(first, endpoint.gated)]
        assert first.status_code < 500, (str(endpoint), first.text)
        for name, target in spellings(endpoint, plain).items():
            answer = call(client, world, endpoint, target)
            found = differences(first, answer) + counters.moved(answer, endpoint.gated)
            failures += [f"{endpoint} [{name}] {target}: {f}" for f in found]
    assert not failures, "\n".join(failures)


def test_anonymous_uploads_are_limited_under_every_spelling(client: httpx.Client) -> None:
    body = {"filename": "a.png", "mime": "image/png", "bytes": 100}
    targets = [
        "//api/v1/upload/presign",
        "/api//v1/upload/presign",
        "/%2Fapi/v1/upload/presign",
        "/API/v1/upload/PRESIGN/",
        "/api/v1/x/../upload/./presign",
    ]  # five: the anonymous plan's uploads per hour
    for left, target in zip(range(len(targets) - 1, -1, -1), targets, strict=True):
        answer = send_raw(client, "POST", target, json=body)
        assert answer.status_code == 200, (target, answer.text)
        assert answer.headers["x-upload-ratelimit-remaining"] == str(left), target
    refused = client.post("/api/v1/upload/presign", json=body)
    assert assert_error(refused, 429)["limit"] == "uploadsPerHour"


def test_guessed_keys_are_counted_under_every_spelling(client: httpx.Client) -> None:
    guess = {"Authorization": "Bearer pk_" + "1" * 32}
    seen = []
    for target in ("/api/v1/files", "//api/v1/files", "/API/V1/FILES/", "/%2Fapi/v1/./files"):
        answer = send_raw(client, "GET", target, headers=guess)
        assert_error(answer, 401)
        seen.append(int(answer.headers["x-ratelimit-remaining"]))
    assert seen == list(range(seen[0], seen[0] - 4, -1)), seen


def test_options_lists_every_method_of_every_route(client: httpx.Client, world: World) -> None:
    wrong = {}
    for endpoint in endpoints():
        if endpoint.method != "OPTIONS":
            continue
        answer = client.options(endpoint.path(world.real), headers=world.boss.headers)
        assert answer.status_code == 204, (str(endpoint), answer.text)
        if answer.headers.get("allow") != ", ".join(endpoint.methods):
            wrong[endpoint.template] = (answer.headers.get("allow"), endpoint.methods)
    assert not wrong, wrong


def test_unknown_paths_are_counted_under_every_spelling(client: httpx.Client, world: World) -> None:
    seen = []
    for target in ("/api/v1/no-such", "//api/v1/no-such", "/API/V1/no-such/", "/api/./v1/no-such"):
        answer = send_raw(client, "GET", target, headers=world.boss.headers)
        assert_error(answer, 404)
        seen.append(int(answer.headers["x-ratelimit-remaining"]))
    assert seen == list(range(seen[0], seen[0] - 4, -1)), seen


def test_a_variants_path_answers_the_same_under_every_spelling(
    client: httpx.Client, world: World
) -> None:
    """`/i/{id}.{ext}` is one route's path value with an extension: spelled any way, the same
    variant (CONTRACT.md, "Image variants")."""
    route = next(e for e in endpoints() if (e.method, e.template) == ("GET", "/i/{file_id:str}"))
    plain = route.path(world.real) + ".webp"
    first = call(client, world, route, plain)
    assert (first.status_code, first.headers["content-type"]) == (200, "image/webp"), first.text
    failures = []
    for name, target in spellings(route, plain).items():
        answer = call(client, world, route, target)
        found = differences(first, answer)
        if not found and answer.content != first.content:
            found.append("other bytes")
        failures += [f"[{name}] {target}: {f}" for f in found]
    assert not failures, "\n".join(failures)
