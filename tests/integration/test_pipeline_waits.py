"""Finalize's bounded wait (202 while the worker is slow) and safe mode driven by the NSFW
threshold from the settings (0 here: every analyzed file is age-restricted)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.helpers import event_position, max_notification_id
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    finalize,
    fresh_server,
    presign,
    put_bytes,
)
from tests.integration.test_worker_recovery import _slow_png
from tests.support.analysis_images import encoded


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    waits = {"PICHR_FINALIZE_WAIT_MS": "300", "PICHR_NSFW_THRESHOLD": "0"}
    with fresh_server(pg_admin_url, "waits", **waits) as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account(adult=True)  # its keys may turn safe mode off


def _ready(
    client: httpx.Client, who: Account, file_id: str, timeout: float = 60
) -> dict[str, object]:
    deadline = time.monotonic() + 60
    headers = {**who.headers, "X-Safe-Mode": "off"}
    while time.monotonic() < deadline:
        record: dict[str, object] = client.get(f"/api/v1/files/{file_id}", headers=headers).json()
        if record["status"] == "ready":
            return record
        time.sleep(0.2)
    raise AssertionError("not analyzed in time")


def test_slow_analysis_answers_202_then_the_record_becomes_ready(
    served: PichrServer, owner: Account
) -> None:
    log = served.env["PICHR_DATABASE_URL"]
    with served.client(timeout=30) as client:
        made = presign(client, owner, _slow_png(), "image/png")
        assert put_bytes(client, owner, made).status_code == 200
        done = finalize(client, owner, made)
        answered_at = max_notification_id(log)  # the log's head once the answer came
        assert (done.status_code, done.json()["status"]) == (202, "processing")
        details = assert_error(client.get(f"/i/{made.file_id}", headers=owner.headers), 404)
        assert details["fileStatus"] == "processing"
        assert_error(client.get(f"/api/v1/files/{made.file_id}"), 404)  # not for others yet
        record = _ready(client, owner, made.file_id)
        assert (record["width"], record["height"]) == (6000, 4000)
        # The analysis was recorded after the answer: finalize stopped waiting (its 300 ms) first.
        analyzed = event_position(log, "pichr.file.ImageAnalyzed.v1", made.file_id)
        assert analyzed is not None
        assert analyzed > answered_at
        again = finalize(client, owner, made)  # finalize is idempotent: now the full record
        assert (again.status_code, again.json()["status"]) == (200, "ready")


def test_age_restricted_file_answers_403_in_safe_mode(served: PichrServer, owner: Account) -> None:
    with served.client(timeout=30) as client:
        made = presign(client, owner, encoded("image/jpeg", (200, 150), seed=5), "image/jpeg")
        assert put_bytes(client, owner, made).status_code == 200
        assert finalize(client, owner, made).status_code in (200, 202)
        record = _ready(client, owner, made.file_id)
        assert record["ageRestricted"] is True
        enforced = served.new_account()  # an account that has not allowed turning it off
        for path in (f"/i/{made.file_id}", f"/t/{made.file_id}", f"/api/v1/files/{made.file_id}"):
            assert_error(client.get(path), 403)
            assert_error(client.get(path, headers=owner.headers), 403)
            assert_error(client.get(path, headers={"X-Safe-Mode": "off"}), 403)  # anonymous
            off = {**owner.headers, "X-Safe-Mode": "off"}
            assert client.get(path, headers=off).status_code == 200
            assert_error(client.get(path, headers={**enforced.headers, "X-Safe-Mode": "off"}), 403)
        listed = client.get("/api/v1/files", headers=owner.headers).json()["files"]
        assert made.file_id not in [f["id"] for f in listed]
        params = {"excludeNsfw": "false"}
        listed = client.get("/api/v1/files", params=params, headers=owner.headers).json()
        assert made.file_id in [f["id"] for f in listed["files"]]
