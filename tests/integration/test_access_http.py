"""The access decision over HTTP: the holes it closed (scopes on deletes and on the served
bytes), what caches may keep, the account's safe-mode setting, the album-wide guess ceiling."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    fresh_server,
    image,
    upload,
)
from tests.integration.test_album_support import album_of, create_album, file_ids

pytestmark = pytest.mark.integration
CEILING = 8  # wrong guesses per album per hour, from every client together


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    settings = {
        "PICHR_TRUSTED_PROXIES": "127.0.0.1",  # each test client claims its own address
        "PICHR_ALBUM_GUESSES_PER_HOUR": str(CEILING),
        "PICHR_NSFW_THRESHOLD": "0",  # every image is age-restricted: safe mode decides
    }
    with fresh_server(pg_admin_url, "access", **settings) as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account(adult=True)


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client(timeout=30) as c:
        yield c


def key_of(served: PichrServer, owner: Account, scopes: str) -> Account:
    """Another key of the owner's account, with other scopes."""
    key = served.cli("keys", "create", "--account", owner.account_id, "--scopes", scopes)
    return Account(owner.account_id, key["id"], key["apiKey"])


def adult(who: Account) -> dict[str, str]:
    return {**who.headers, "X-Safe-Mode": "off"}


def test_a_delete_token_header_does_not_let_a_read_only_key_delete(
    served: PichrServer, client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=1))
    reader = key_of(served, owner, "read")
    route = f"/api/v1/files/{made.file_id}"
    for token in ("", "anything"):
        headers = {**reader.headers, "X-Delete-Token": token}
        assert assert_error(client.delete(route, headers=headers), 403)["scope"] == "write"
    assert client.get(route, headers=adult(owner)).status_code == 200  # still there


def test_an_upload_only_key_reads_no_bytes_of_its_own_account(
    served: PichrServer, client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=2), visibility="private")
    uploader = key_of(served, owner, "upload")
    paths = [f"/i/{made.file_id}", f"/t/{made.file_id}", f"/api/v1/files/{made.file_id}",
             f"/api/v1/files/{made.file_id}/download"]  # fmt: skip
    for path in paths:
        refused = client.get(path, headers={**uploader.headers, "X-Safe-Mode": "off"})
        assert assert_error(refused, 403)["scope"] == "read", path
        assert client.get(path, headers=adult(owner)).status_code == 200, path
    page = client.get(f"/f/{made.file_id}", headers=uploader.headers)
    assert page.status_code == 403
    assert "read" in page.text


def test_private_or_restricted_answers_are_marked_for_no_shared_cache(
    client: httpx.Client, owner: Account
) -> None:
    private = upload(client, owner, image(seed=3), visibility="private")
    for path in (f"/api/v1/files/{private.file_id}", f"/i/{private.file_id}",
                 f"/api/v1/files/{private.file_id}/download", "/api/v1/files"):  # fmt: skip
        answer = client.get(path, headers=adult(owner))
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["Cache-Control"].startswith("private"), path
        assert "Authorization" in answer.headers["Vary"], path
    # Public, but age-restricted (threshold 0): what it answers depends on the caller.
    public = upload(client, owner, image(seed=4))
    shown = client.get(f"/i/{public.file_id}", headers=adult(owner))
    assert shown.headers["Cache-Control"].startswith("private")


def test_an_unlocked_albums_json_and_page_are_private(client: httpx.Client, owner: Account) -> None:
    made = upload(client, owner, image(seed=5))
    album_id = create_album(client, owner, fileIds=[made.file_id], password="pw-1")["id"]
    unlocked = album_of(client, album_id, None, {"X-Album-Password": "pw-1"})
    assert unlocked.status_code == 200
    assert unlocked.headers["Cache-Control"].startswith("private")
    assert "X-Album-Password" in unlocked.headers["Vary"]
    page = client.post(f"/a/{album_id}", data={"password": "pw-1"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("private")
    assert "Cookie" in page.headers["Vary"]


def test_safe_mode_comes_off_only_for_accounts_an_admin_allowed(
    served: PichrServer, client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=6))
    route = f"/api/v1/files/{made.file_id}"
    viewer = served.new_account()
    assert_error(client.get(route, headers=adult(viewer)), 403)
    admin = served.new_account(scopes="admin")
    allow = {"safeModeOptional": True}
    changed = client.patch(
        f"/api/v1/admin/accounts/{viewer.account_id}", json=allow, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["safeModeOptional"] is True
    assert client.get(route, headers=adult(viewer)).status_code == 200
    assert_error(client.get(route, headers=viewer.headers), 403)  # still on unless asked off
    forbid = {"safeModeOptional": False}
    path = f"/api/v1/admin/accounts/{viewer.account_id}"
    assert client.patch(path, json=forbid, headers=admin.headers).status_code == 200
    assert_error(client.get(route, headers=adult(viewer)), 403)
    assert_error(client.patch(path, json={}, headers=admin.headers), 400)
    assert_error(client.patch(path, json=allow, headers=viewer.headers), 403)


def test_many_addresses_share_one_ceiling_per_album_but_the_owner_gets_in(
    client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=7))
    album_id = create_album(client, owner, fileIds=[made.file_id], password="right")["id"]
    for n in range(CEILING):  # one wrong guess from each of many addresses
        guess = {"X-Album-Password": f"wrong-{n}", "X-Forwarded-For": f"10.9.0.{n + 1}"}
        assert_error(album_of(client, album_id, None, guess), 401)
    fresh = {"X-Album-Password": "right", "X-Forwarded-For": "10.9.1.1"}
    throttled = album_of(client, album_id, None, fresh)
    assert_error(throttled, 429)  # even a new address, even the right password
    assert int(throttled.headers["Retry-After"]) > 0
    mine = album_of(client, album_id, None, adult(owner))
    assert file_ids(mine) == [made.file_id]  # the owner's key needs no password
