"""GET /api/v1/usage: the caller's plan, limits, what is left and the storage used; a projection
of the event log that `pichr replay usage` rebuilds to the same answer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.multiproc import Admin
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    fresh_server,
    image,
    presign,
    upload,
)

pytestmark = pytest.mark.integration
PLANS = {
    "free": {"callsPerHour": 500, "uploadsPerHour": 7, "maxFileBytes": 4000, "quotaBytes": 50_000}
}


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    with fresh_server(pg_admin_url, "usage", PICHR_PLANS=json.dumps(PLANS)) as server:
        yield server


@pytest.fixture(scope="module")
def admin(served: PichrServer) -> Admin:
    return Admin(served)


def usage(client: httpx.Client, who: Account) -> tuple[dict[str, Any], httpx.Response]:
    answer = client.get("/api/v1/usage", headers=who.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body, answer


def settled(client: httpx.Client, who: Account, used: int) -> tuple[dict[str, Any], httpx.Response]:
    """/usage once the usage projection has folded the storage it should show."""
    deadline = time.monotonic() + 5
    while True:
        body, answer = usage(client, who)
        if body["storage"]["usedBytes"] == used or time.monotonic() > deadline:
            return body, answer
        time.sleep(0.05)


@pytest.mark.parametrize("scope", ["read", "upload", "write", "admin"])
def test_any_scope_may_read_its_usage(served: PichrServer, admin: Admin, scope: str) -> None:
    who = admin.new_account(scopes=scope)
    with served.client() as client:
        body, _ = usage(client, who)
    assert body["plan"] == "free"
    assert body["limits"] == {
        "uploadsPerHour": 7, "callsPerHour": 500, "maxFileBytes": 4000, "storageQuotaBytes": 50_000,
    }  # fmt: skip
    assert body["storage"] == {"usedBytes": 0, "files": 0}


def test_usage_needs_a_key(served: PichrServer) -> None:
    with served.client() as client:
        assert_error(client.get("/api/v1/usage"), 401)


def test_remaining_allowances_follow_calls_uploads_and_storage(
    served: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    data = image(seed=5)
    with served.client() as client:
        first, answer = usage(client, who)
        assert first["remaining"]["calls"] == int(answer.headers["X-RateLimit-Remaining"]) == 499
        assert first["remaining"]["resetAt"] == int(answer.headers["X-RateLimit-Reset"])
        assert first["remaining"]["uploads"] == 7
        upload(client, who, data)
        presign(client, who, data)  # reserved, not yet uploaded: it counts too
        body, answer = settled(client, who, 2 * len(data))
    # presign, PUT, finalize, presign, and one usage call or more in settled()
    assert body["remaining"]["calls"] == int(answer.headers["X-RateLimit-Remaining"]) <= 499 - 5
    assert body["remaining"]["uploads"] == 5
    assert body["storage"] == {"usedBytes": 2 * len(data), "files": 2}
    assert body["remaining"]["storageBytes"] == 50_000 - 2 * len(data)


def test_a_plan_change_shows_at_once(served: PichrServer, admin: Admin) -> None:
    who = admin.new_account()
    with served.client() as client:
        route = f"/api/v1/admin/accounts/{who.account_id}"
        changed = client.patch(route, json={"plan": "enterprise"}, headers=admin.account.headers)
        assert changed.status_code == 200
        body, answer = usage(client, who)
    assert body["plan"] == "enterprise"
    assert body["limits"]["callsPerHour"] == 100_000
    assert answer.headers["X-RateLimit-Limit"] == "100000"


def test_usage_is_rebuilt_from_the_event_log(served: PichrServer, admin: Admin) -> None:
    who = admin.new_account()
    with served.client() as client:
        made = upload(client, who, image(seed=9))
        presign(client, who, image(seed=10))
        client.delete(f"/api/v1/files/{made.file_id}", headers=who.headers).raise_for_status()
        before, _ = settled(client, who, len(image(seed=10)))
        assert before["storage"]["files"] == 1
        url = served.env["PICHR_DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute("SELECT * FROM usage ORDER BY account_id").fetchall()
            conn.execute("DELETE FROM usage")  # the read model is lost ...
        assert usage(client, who)[0]["storage"]["usedBytes"] == 0

        rebuilt = served.cli("replay", "usage")  # ... and folded again from the log
        assert rebuilt["projection"] == "usage"
        assert rebuilt["events"] > 0
        with psycopg.connect(url, autocommit=True) as conn:
            again = conn.execute("SELECT * FROM usage ORDER BY account_id").fetchall()
        assert again == rows
        after, _ = usage(client, who)
    assert after["storage"] == before["storage"]
    assert after["remaining"]["storageBytes"] == before["remaining"]["storageBytes"]


def test_a_presign_shows_at_once_in_the_file_and_in_usage(served: PichrServer) -> None:
    """Presign answers without waiting for the read models; the reads that can see a pending
    upload wait for the log instead, so the caller still reads its own write."""
    who = served.new_account()
    with served.client() as client:
        for n in range(1, 6):  # the plan allows 7 uploads an hour
            made = presign(client, who, image(seed=n))
            got = client.get(f"/api/v1/files/{made.file_id}", headers=who.headers)
            assert got.status_code == 200, got.text
            assert got.json()["status"] == "pending"
            body, _ = usage(client, who)
            assert body["storage"]["files"] == n
