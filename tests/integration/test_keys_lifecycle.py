"""API keys on four API processes: made, listed and revoked by the CLI and the admin routes;
revocation, expiry and account deletion seen by every process (without waiting out a cache);
bad keys 401, missing scopes 403; the plaintext never stored or logged."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pichr.application.identity import key_digest
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain import ids
from pichr.domain.accounts import ApiKey
from tests.integration.multiproc import Admin, gets, scaled_out, table_texts
from tests.integration.server import Account, PichrServer, assert_error

pytestmark = pytest.mark.integration
HIGH = {"callsPerHour": 1_000_000, "uploadsPerHour": 1_000_000}
PLANS = {"free": HIGH, "anonymous": HIGH}  # nothing here is about hourly limits
# Only stops the polling. The contract's "within a second" is a latency, not something a test
# on a shared machine can time; what makes it hold is that a change evicts the cached key on
# every process, where it lives 30 s otherwise (api/auth.py): refused everywhere long before
# that is the eviction's doing, not the cache running out.
POLL_S = 10.0
ISSUED: list[str] = []  # every plaintext this module saw; none may be stored or logged


@pytest.fixture(scope="module")
def api(pg_admin_url: str) -> Iterator[PichrServer]:
    with scaled_out(pg_admin_url, "keys", PICHR_PLANS=json.dumps(PLANS)) as server:
        yield server


@pytest.fixture(scope="module")
def admin(api: PichrServer) -> Admin:
    made = Admin(api)
    ISSUED.append(made.account.api_key)
    return made


def account(admin: Admin, scopes: str = "read,upload,write") -> Account:
    made = admin.new_account(scopes=scopes)
    ISSUED.append(made.api_key)
    return made


def burst_until(api: PichrServer, who: Account, status: int) -> set[int]:
    """Bursts of 16 requests on fresh connections (spread over the processes) until one is all
    `status`, or the polling stops; the statuses of the last burst."""
    deadline = time.monotonic() + POLL_S
    while True:
        seen = {r.status_code for r in gets(api, 16, "/api/v1/files", who.headers)}
        if seen == {status} or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def refused_everywhere_after(
    api: PichrServer, who: Account, change: Callable[[], object]
) -> set[int]:
    """Serve the key (so the processes cache it), make the change, wait for a burst refused
    whole; the statuses of one burst more. A process that kept serving the key would show up
    in every burst until the polling stops, and in the last one."""
    assert burst_until(api, who, 200) == {200}, "never served"
    change()
    burst_until(api, who, 401)
    return {r.status_code for r in gets(api, 16, "/api/v1/files", who.headers)}


def test_cli_creates_lists_and_revokes_keys_without_showing_the_plaintext(api: PichrServer) -> None:
    made = api.cli("accounts", "create", "--email", "cli@test.invalid", "--plan", "pro")
    key = api.cli(
        "keys", "create", "--account", made["id"], "--scopes", "read", "--name", "ci",
        "--expires-in-days", "7",
    )  # fmt: skip
    ISSUED.append(key["apiKey"])
    assert key["apiKey"].startswith("pk_")
    assert len(key["apiKey"]) == 35

    listed = api.cli("keys", "list", "--account", made["id"])
    assert key["apiKey"] not in json.dumps(listed)
    (entry,) = listed["keys"]
    assert (entry["id"], entry["name"], entry["scopes"]) == (key["id"], "ci", ["read"])
    expires = datetime.fromisoformat(entry["expiresAt"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert entry["revokedAt"] is None

    headers = {"Authorization": f"Bearer {key['apiKey']}"}
    assert {r.status_code for r in gets(api, 8, "/api/v1/files", headers)} == {200}
    assert api.cli("keys", "revoke", key["id"]) == {
        "id": key["id"],
        "revoked": True,
        "visible": True,
    }
    assert api.cli("keys", "list", "--account", made["id"])["keys"][0]["revokedAt"] is not None
    refused = gets(api, 8, "/api/v1/files", headers)
    assert {r.status_code for r in refused} == {401}
    assert key["apiKey"] not in refused[0].text


def test_admin_routes_need_an_admin_key(api: PichrServer, admin: Admin) -> None:
    plain = account(admin, "read,upload,write")
    with api.client() as client:
        for method, path in (("GET", "/api/v1/admin/keys"), ("POST", "/api/v1/admin/accounts")):
            body = {"email": "x@test.invalid"} if method == "POST" else None
            assert_error(client.request(method, path, json=body), 401)
            details = assert_error(
                client.request(method, path, json=body, headers=plain.headers), 403
            )
            assert details["scope"] == "admin"


def test_admin_routes_manage_accounts_plans_and_keys(api: PichrServer, admin: Admin) -> None:
    who = account(admin)
    with api.client() as client:
        listed = client.get(
            f"/api/v1/admin/keys?accountId={who.account_id}", headers=admin.account.headers
        )
        assert listed.status_code == 200
        assert who.api_key not in listed.text
        assert [k["id"] for k in listed.json()] == [who.key_id]

        plan = client.patch(f"/api/v1/admin/accounts/{who.account_id}", json={"plan": "pro"},
                            headers=admin.account.headers)  # fmt: skip
        assert plan.json()["plan"] == "pro"
        assert {r.json()["plan"] for r in gets(api, 8, "/api/v1/usage", who.headers)} == {"pro"}

        second = admin.post(
            client, "/api/v1/admin/keys", {"accountId": who.account_id, "scopes": ["read"]}
        )
        ISSUED.append(second["apiKey"])
        revoked = client.delete(f"/api/v1/admin/keys/{who.key_id}", headers=admin.account.headers)
        assert revoked.status_code == 200
        assert {r.status_code for r in gets(api, 8, "/api/v1/files", who.headers)} == {401}
        other = {"Authorization": f"Bearer {second['apiKey']}"}
        assert {r.status_code for r in gets(api, 8, "/api/v1/files", other)} == {200}

        deleted = client.delete(
            f"/api/v1/admin/accounts/{who.account_id}", headers=admin.account.headers
        )
        assert deleted.status_code == 200
        assert {r.status_code for r in gets(api, 8, "/api/v1/files", other)} == {401}


@pytest.mark.parametrize("via", ["cli", "admin route"])
def test_a_revoked_key_is_refused_by_every_process(
    api: PichrServer, admin: Admin, via: str
) -> None:
    who = account(admin)

    def revoke() -> None:
        if via == "cli":
            api.cli("keys", "revoke", who.key_id)
        else:
            with api.client() as client:
                gone = client.delete(
                    f"/api/v1/admin/keys/{who.key_id}", headers=admin.account.headers
                )
                assert gone.status_code == 200

    assert refused_everywhere_after(api, who, revoke) == {401}


def test_keys_of_a_deleted_account_are_refused_by_every_process(
    api: PichrServer, admin: Admin
) -> None:
    who = account(admin)

    def delete() -> None:
        api.cli("accounts", "delete", who.account_id)

    assert refused_everywhere_after(api, who, delete) == {401}


def test_an_expired_key_is_refused_by_every_process_once_it_expires(
    api: PichrServer, admin: Admin
) -> None:
    owner = account(admin)
    plaintext = "pk_" + ids.random_token(32)
    ISSUED.append(plaintext)
    expires = datetime.now(UTC) + timedelta(seconds=5)
    app = PichrApplication(env=eventsourcing_env(api.env["PICHR_DATABASE_URL"], 1))
    try:
        key_id = ids.to_public(ids.KEY, ids.new_uuid())
        app.commit(ApiKey(
            key_id=key_id, actor="test", account_id=owner.account_id, name="short-lived",
            scopes=["read"], digest=key_digest(plaintext), expires_at=expires.isoformat(),
        ))  # fmt: skip
    finally:
        app.close()
    headers = {"Authorization": f"Bearer {plaintext}"}
    while gets(api, 1, "/api/v1/files", headers)[0].status_code != 200:
        assert datetime.now(UTC) < expires, "the new key never worked before it expired"
        time.sleep(0.05)
    while datetime.now(UTC) <= expires:  # every process checks the expiry on every request
        time.sleep(0.05)
    refused = gets(api, 16, "/api/v1/files", headers)
    assert {r.status_code for r in refused} == {401}
    assert "expired" in refused[0].json()["message"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer pk_short",
        "Bearer " + "pk_" + "1" * 40,
        "Bearer sk_" + "1" * 32,
        "Basic " + "pk_" + "1" * 32,
        "pk_" + "1" * 32,
        "Bearer pk_" + "1" * 31 + "0",
        b"Bearer pk_" + b"1" * 31 + b"\xe9",
        "Bearer " + "pk_" + "1" * 32,  # well formed, unknown
    ],
    ids=["short", "long", "prefix", "scheme", "no scheme", "not base58", "latin-1", "unknown"],
)
def test_malformed_and_unknown_keys_are_401(api: PichrServer, authorization: str | bytes) -> None:
    with api.client() as client:
        value = authorization if isinstance(authorization, bytes) else authorization.encode()
        answer = client.get("/api/v1/files", headers=[(b"authorization", value)])
    assert_error(answer, 401)
    assert "X-RateLimit-Limit" in answer.headers


def test_a_key_without_the_scope_is_403(api: PichrServer, admin: Admin) -> None:
    reader, uploader = account(admin, "read"), account(admin, "upload")
    presign = {"filename": "a.png", "mime": "image/png", "bytes": 10}
    with api.client() as client:
        assert client.get("/api/v1/files", headers=reader.headers).status_code == 200
        refused = client.post("/api/v1/upload/presign", json=presign, headers=reader.headers)
        assert assert_error(refused, 403)["scope"] == "upload"
        assert (
            assert_error(client.get("/api/v1/files", headers=uploader.headers), 403)["scope"]
            == "read"
        )


def test_last_use_is_recorded_in_batches_not_per_request(api: PichrServer, admin: Admin) -> None:
    who = account(admin)
    url = api.env["PICHR_DATABASE_URL"]
    topic = "SELECT count(*) FROM pichr_events WHERE topic = 'pichr.key.KeysUsed.v1'"
    with psycopg.connect(url, autocommit=True) as conn:
        (before,) = conn.execute(topic).fetchone() or (0,)
        requests = 200
        assert {r.status_code for r in gets(api, requests, "/api/v1/files", who.headers)} == {200}
        deadline = time.monotonic() + 5
        while True:
            row = conn.execute(
                "SELECT last_used_at FROM api_keys WHERE id = %s", (who.key_id,)
            ).fetchone()
            if row and row[0] is not None:
                break
            assert time.monotonic() < deadline, "last use never recorded"
            time.sleep(0.1)
        assert datetime.now(UTC) - row[0] < timedelta(seconds=10)
        (after,) = conn.execute(topic).fetchone() or (0,)
    assert 0 < after - before < requests / 4


def test_no_key_plaintext_is_stored_or_logged(api: PichrServer) -> None:
    assert len(ISSUED) > 10
    url = api.env["PICHR_DATABASE_URL"]
    tables = table_texts(url)
    events = tables["public.pichr_events"]
    assert key_digest(ISSUED[0]) in events  # the grep can see what the events hold
    logs = "".join(p.read_text(errors="replace") for p in api.data_dir.glob("*.log"))
    assert "/api/v1/files" in logs  # the access log is there to be searched
    for plaintext in ISSUED:
        secret = plaintext[3:]  # without "pk_": no partial copy either
        assert secret not in logs
        for name, text in tables.items():
            assert secret not in text, name
