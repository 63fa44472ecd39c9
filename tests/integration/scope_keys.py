"""The scope matrix's bad keys: each must be refused (401) wherever a key is looked at."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from pichr.application.identity import key_digest
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain import ids
from pichr.domain.accounts import ApiKey
from tests.integration.server import PichrServer


def expired_key(server: PichrServer, account_id: str) -> str:
    """A key whose expiry has passed, recorded straight in the log (the API and the CLI only
    issue keys that last a day or more), as test_keys_lifecycle.py does."""
    plaintext = "pk_" + ids.random_token(32)
    app = PichrApplication(env=eventsourcing_env(server.env["PICHR_DATABASE_URL"], 1))
    try:
        app.commit(ApiKey(
            key_id=ids.to_public(ids.KEY, ids.new_uuid()), actor="test", account_id=account_id,
            name="expired", scopes=["read"], digest=key_digest(plaintext),
            expires_at=datetime.now(UTC).isoformat(),
        ))  # fmt: skip
    finally:
        app.close()
    return plaintext


def refused_as_expired(client: httpx.Client, plaintext: str, within: float = 10.0) -> None:
    """Once the key's record is read back, it is refused for its expiry (not as unknown)."""
    deadline = time.monotonic() + within
    while True:
        answer = client.get("/api/v1/usage", headers={"Authorization": f"Bearer {plaintext}"})
        if "expired" in answer.text:
            return
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


def bad_keys(
    client: httpx.Client, server: PichrServer, account_id: str, revoked: str
) -> dict[str, str]:
    expired = expired_key(server, account_id)
    refused_as_expired(client, expired)
    return {
        "malformed key": "Bearer not-a-key",
        "unknown key": "Bearer pk_" + "1" * 32,  # well formed, never issued
        "revoked key": f"Bearer {revoked}",
        "expired key": f"Bearer {expired}",
    }
