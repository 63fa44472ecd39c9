"""Hourly limits on four API processes sharing Redis: a limit of N allows N calls in total."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest

from tests.integration.multiproc import Admin, gets, scaled_out
from tests.integration.server import PichrServer, assert_error
from tests.integration.test_album_support import create_album

pytestmark = pytest.mark.integration
CALLS = 40
UPLOADS = 3
ANON_CALLS = 10
ANON_UPLOADS = 2
PLANS = {
    "free": {"callsPerHour": CALLS, "uploadsPerHour": UPLOADS},
    "anonymous": {"callsPerHour": ANON_CALLS, "uploadsPerHour": ANON_UPLOADS},
}
PRESIGN = {"filename": "a.png", "mime": "image/png", "bytes": 100}
PROPAGATION_S = 0.5


@pytest.fixture(scope="module")
def api(pg_admin_url: str) -> Iterator[PichrServer]:
    with scaled_out(
        pg_admin_url, "limits", PICHR_PLANS=json.dumps(PLANS), PICHR_TRUSTED_PROXIES="127.0.0.1"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def admin(api: PichrServer) -> Admin:
    return Admin(api)


_addresses = itertools.count(1)


def some_ip() -> str:
    """A client address of its own (TEST-NET-3), as the trusted proxy reports it."""
    return f"203.0.113.{next(_addresses)}"


def test_a_limit_of_n_allows_n_calls_in_total_across_four_processes(
    api: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    answers = gets(api, CALLS + 20, "/api/v1/files", who.headers)

    served = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code == 429]
    assert (len(served), len(refused)) == (CALLS, 20), [r.status_code for r in answers]
    # One shared counter: each allowed call saw a different remainder, CALLS-1 down to 0.
    assert sorted(int(r.headers["X-RateLimit-Remaining"]) for r in served) == list(range(CALLS))
    for r in answers:
        assert r.headers["X-RateLimit-Limit"] == str(CALLS)
        assert int(r.headers["X-RateLimit-Reset"]) > time.time()
    for r in refused:
        details = assert_error(r, 429)
        assert details["limit"] == "callsPerHour"
        assert (details["allowed"], details["used"], details["plan"]) == (CALLS, CALLS, "free")
        assert 0 < int(r.headers["Retry-After"]) <= 3600
        assert r.headers["X-RateLimit-Remaining"] == "0"


def test_uploads_per_hour_are_counted_at_presign(api: PichrServer, admin: Admin) -> None:
    who = admin.new_account()
    with api.client() as client:
        for n in range(UPLOADS):
            ok = client.post("/api/v1/upload/presign", json=PRESIGN, headers=who.headers)
            assert ok.status_code == 200, ok.text
            assert ok.headers["X-Upload-RateLimit-Remaining"] == str(UPLOADS - 1 - n)
        refused = client.post("/api/v1/upload/presign", json=PRESIGN, headers=who.headers)
        details = assert_error(refused, 429)
        assert (details["limit"], details["allowed"], details["used"]) == (
            "uploadsPerHour", UPLOADS, UPLOADS
        )  # fmt: skip
        assert int(refused.headers["Retry-After"]) > 0
        # Other calls are still within the hourly call limit.
        assert client.get("/api/v1/files", headers=who.headers).status_code == 200


def test_a_plan_change_takes_effect_at_once_on_every_process(
    api: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    answers = gets(api, CALLS + 1, "/api/v1/files", who.headers)
    assert sorted(r.status_code for r in answers)[-1] == 429

    changed = api.cli("accounts", "set-plan", who.account_id, "pro")
    assert changed["visible"] is True
    # The CLI returns once the read model has the plan; each API process hears of it
    # milliseconds later (the same path as revocation, which the contract bounds by 1 s).
    time.sleep(PROPAGATION_S)
    after = gets(api, 8, "/api/v1/files", who.headers)
    assert {r.status_code for r in after} == {200}
    assert {r.headers["X-RateLimit-Limit"] for r in after} == {"10000"}
    # The calls already made this hour still count under the new plan.
    assert all(int(r.headers["X-RateLimit-Remaining"]) < 10_000 - CALLS for r in after)


def test_anonymous_callers_are_limited_per_client_address(api: PichrServer) -> None:
    first, second = some_ip(), some_ip()
    answers = gets(api, ANON_CALLS + 3, "/api/v1/files/file_none", {"X-Forwarded-For": first})
    assert sorted(r.status_code for r in answers) == [404] * ANON_CALLS + [429] * 3
    refused = next(r for r in answers if r.status_code == 429)
    assert assert_error(refused, 429)["plan"] == "anonymous"
    other = gets(api, 1, "/api/v1/files/file_none", {"X-Forwarded-For": second})[0]
    assert other.status_code == 404
    assert other.headers["X-RateLimit-Remaining"] == str(ANON_CALLS - 1)


def test_a_forged_forwarded_for_prefix_does_not_change_the_counted_address(
    api: PichrServer,
) -> None:
    real = some_ip()
    answers = [
        gets(api, 1, "/api/v1/files/file_none", {"X-Forwarded-For": f"10.9.{n}.1, {real}"})[0]
        for n in range(ANON_CALLS + 1)
    ]
    assert [r.status_code for r in answers] == [404] * ANON_CALLS + [429]


def test_guessed_keys_are_counted_against_the_address_and_carry_the_headers(
    api: PichrServer,
) -> None:
    ip = some_ip()
    bad = {"X-Forwarded-For": ip, "Authorization": "Bearer pk_" + "1" * 32}
    answers = [gets(api, 1, "/api/v1/files", bad)[0] for _ in range(ANON_CALLS + 1)]
    for n, r in enumerate(answers[:-1]):
        assert_error(r, 401)
        assert r.headers["X-RateLimit-Remaining"] == str(ANON_CALLS - 1 - n)
    assert_error(answers[-1], 429)


def test_anonymous_uploads_are_limited_by_the_anonymous_plan(api: PichrServer) -> None:
    headers = {"X-Forwarded-For": some_ip()}
    with api.client() as client:
        for _ in range(ANON_UPLOADS):
            made = client.post("/api/v1/upload/presign", json=PRESIGN, headers=headers)
            assert made.status_code == 200, made.text
            assert made.json()["deleteToken"]
        refused = client.post("/api/v1/upload/presign", json=PRESIGN, headers=headers)
    details = assert_error(refused, 429)
    assert (details["limit"], details["plan"]) == ("uploadsPerHour", "anonymous")


def test_keyed_callers_do_not_share_a_window(api: PichrServer, admin: Admin) -> None:
    one, two = admin.new_account(), admin.new_account()
    exhaust = gets(api, CALLS + 1, "/api/v1/files", one.headers)
    assert any(r.status_code == 429 for r in exhaust)
    with api.client() as client:
        answer = client.get("/api/v1/files", headers=two.headers)
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Remaining"] == str(CALLS - 1)


def test_wrong_album_passwords_are_counted_once_across_four_processes(
    api: PichrServer, admin: Admin
) -> None:
    owner = admin.new_account()
    with api.client() as client:
        album = create_album(client, owner, password="s3cret")
    guess = {"X-Album-Password": "guess", "X-Forwarded-For": some_ip()}
    answers = gets(api, 8, f"/api/v1/albums/{album['id']}", guess)
    # Five wrong guesses a minute per album and client, however the requests are spread.
    assert sorted(r.status_code for r in answers) == [401] * 5 + [429] * 3
    for r in answers:
        if r.status_code == 429:
            assert 0 < int(r.headers["Retry-After"]) <= 60
