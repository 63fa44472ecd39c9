"""POST /api/v1/admin/accounts/{id}/erase and `pichr accounts erase` on a running server."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.multiproc import Admin
from tests.integration.server import PichrServer, assert_error

pytestmark = pytest.mark.integration


def made(admin: Admin, tag: str) -> tuple[str, str]:
    """An account whose e-mail and key name carry `tag`: (account id, its key's id)."""
    with admin.server.client() as client:
        account = admin.post(client, "/api/v1/admin/accounts", {"email": f"{tag}@test.invalid"})
        body = {"accountId": account["id"], "scopes": ["read"], "name": f"{tag}-key"}
        key = admin.post(client, "/api/v1/admin/keys", body)
    return str(account["id"]), str(key["id"])


def test_the_route_erases_an_account_once_and_the_cli_too(fs_server: PichrServer) -> None:
    admin = Admin(fs_server)
    tag = f"erase{uuid.uuid4().hex[:8]}"
    account_id, key_id = made(admin, tag)
    path = f"/api/v1/admin/accounts/{account_id}/erase"
    with fs_server.client(timeout=60) as client:
        assert_error(client.post(path, json={}, headers=admin.account.headers), 400)
        answer = client.post(path, json={"reason": "art. 17"}, headers=admin.account.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accountId"] == account_id
        assert answer.json()["keysErased"] == 2  # the account and its key
        keys = client.get(f"/api/v1/admin/keys?accountId={account_id}",
                          headers=admin.account.headers).json()  # fmt: skip
        assert [(k["id"], k["name"]) for k in keys] == [(key_id, "[erased]")]
        assert tag not in client.get("/api/v1/admin/events", headers=admin.account.headers).text
        again = client.post(path, json={"reason": "again"}, headers=admin.account.headers)
        assert_error(again, 410)

    other_id, _ = made(admin, f"{tag}b")
    report = fs_server.cli("accounts", "erase", other_id, "--reason", "art. 17")
    assert (report["accountId"], report["keysErased"]) == (other_id, 2)
