"""Storage quota and file size on four API processes: reserved at presign so concurrent presigns
never overshoot, released on delete; 413 for declared or streamed bytes over the plan; anonymous
uploads within the anonymous plan, deleted with their token, expiring by default."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.multiproc import Admin, fresh_client, scaled_out
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    finalize,
    image,
    presign,
    put_bytes,
    upload,
)

pytestmark = pytest.mark.integration
QUOTA = 10_500
MAX_FILE = 5_000
ANON_MAX_FILE = 3_000
ANON_EXPIRY_HOURS = 48
PLANS = {
    "free": {"quotaBytes": QUOTA, "maxFileBytes": MAX_FILE},
    "anonymous": {"maxFileBytes": ANON_MAX_FILE, "uploadsPerHour": 50},
}


@pytest.fixture(scope="module")
def api(pg_admin_url: str) -> Iterator[PichrServer]:
    with scaled_out(
        pg_admin_url, "quota", with_worker=True, PICHR_PLANS=json.dumps(PLANS),
        PICHR_ANONYMOUS_EXPIRY_HOURS=str(ANON_EXPIRY_HOURS),
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def admin(api: PichrServer) -> Admin:
    return Admin(api)


def presign_body(size: int) -> dict[str, Any]:
    return {"filename": "a.png", "mime": "image/png", "bytes": size}


def used_bytes(client: httpx.Client, who: Account, expected: int) -> int:
    """Storage used as GET /usage reports it, once its projection has caught up (or not)."""
    deadline = time.monotonic() + 5
    while True:
        used: int = client.get("/api/v1/usage", headers=who.headers).json()["storage"]["usedBytes"]
        if used == expected or time.monotonic() > deadline:
            return used
        time.sleep(0.05)


def test_twenty_concurrent_presigns_near_the_quota_never_exceed_it(
    api: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    start = threading.Barrier(20)

    def one(_: int) -> httpx.Response:
        with fresh_client(api) as client:
            start.wait()
            return client.post(
                "/api/v1/upload/presign", json=presign_body(1000), headers=who.headers
            )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(20)))

    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 10 + [402] * 10, [(r.status_code, r.text) for r in answers]
    for refused in (r for r in answers if r.status_code == 402):
        details = assert_error(refused, 402)
        assert (details["limit"], details["quotaBytes"], details["requestedBytes"]) == (
            "storageQuota", QUOTA, 1000
        )  # fmt: skip
        assert QUOTA - 1000 < details["usedBytes"] <= QUOTA
    with api.client() as client:
        assert used_bytes(client, who, 10_000) == 10_000
        usage = client.get("/api/v1/usage", headers=who.headers).json()
    assert usage["remaining"]["storageBytes"] == QUOTA - 10_000
    assert usage["storage"]["files"] == 10


def test_deleting_a_file_releases_its_quota(api: PichrServer, admin: Admin) -> None:
    who = admin.new_account()
    data = image(seed=7)
    with api.client() as client:
        kept = upload(client, who, data)
        rest = QUOTA - len(data)
        for size in (MAX_FILE, MAX_FILE, rest - 2 * MAX_FILE):  # the quota, full to the byte
            filler = client.post(
                "/api/v1/upload/presign", json=presign_body(size), headers=who.headers
            )
            assert filler.status_code == 200, filler.text
        full = client.post("/api/v1/upload/presign", json=presign_body(1), headers=who.headers)
        assert assert_error(full, 402)["usedBytes"] == QUOTA

        gone = client.delete(f"/api/v1/files/{kept.file_id}", headers=who.headers)
        assert gone.status_code == 200
        assert used_bytes(client, who, QUOTA - len(data)) == QUOTA - len(data)
        again = client.post(
            "/api/v1/upload/presign", json=presign_body(len(data)), headers=who.headers
        )
        assert again.status_code == 200, again.text


def test_a_declared_size_over_the_plan_is_413_and_reserves_nothing(
    api: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    with api.client() as client:
        refused = client.post(
            "/api/v1/upload/presign", json=presign_body(MAX_FILE + 1), headers=who.headers
        )
        details = assert_error(refused, 413)
        assert details == {
            "limit": "maxFileBytes", "maxFileBytes": MAX_FILE, "declaredBytes": MAX_FILE + 1,
            "plan": "free",
        }  # fmt: skip
        at_limit = client.post(
            "/api/v1/upload/presign", json=presign_body(MAX_FILE), headers=who.headers
        )
        assert at_limit.status_code == 200
        assert used_bytes(client, who, MAX_FILE) == MAX_FILE


def test_streamed_bytes_over_the_declared_size_are_413_and_nothing_is_kept(
    api: PichrServer, admin: Admin
) -> None:
    who = admin.new_account()
    data = image(seed=3)
    with api.client() as client:
        made = presign(client, who, data)
        refused = put_bytes(client, who, made, body=data + b"\0" * MAX_FILE)
        assert_error(refused, 413)
        kept = [p for p in api.blob_root.rglob("*") if p.is_file() and made.file_id in str(p)]
        assert kept == []
        assert put_bytes(client, who, made).status_code == 200  # the right bytes still go in


def test_anonymous_uploads_get_a_delete_token_and_expire_by_default(api: PichrServer) -> None:
    data = image(seed=11)
    with api.client() as client:
        made = presign(client, None, data)
        token = made.presign["deleteToken"]
        assert token
        assert put_bytes(client, None, made).status_code == 200
        done = finalize(client, None, made)
        assert done.status_code == 200, done.text
        expires = datetime.fromisoformat(done.json()["expiresAt"].replace("Z", "+00:00"))
        expected = datetime.now(UTC) + timedelta(hours=ANON_EXPIRY_HOURS)
        assert abs(expires - expected) < timedelta(minutes=5)

        route = f"/api/v1/files/{made.file_id}"
        assert_error(client.delete(route, headers={"X-Delete-Token": "not-the-token"}), 403)
        assert client.delete(route, headers={"X-Delete-Token": token}).status_code == 200
        assert_error(client.get(route), 410)


def test_anonymous_uploads_are_held_to_the_anonymous_file_size(api: PichrServer) -> None:
    with api.client() as client:
        refused = client.post("/api/v1/upload/presign", json=presign_body(ANON_MAX_FILE + 1))
    details = assert_error(refused, 413)
    assert (details["plan"], details["maxFileBytes"]) == ("anonymous", ANON_MAX_FILE)
