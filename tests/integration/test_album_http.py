"""Every album route over HTTP against a real server: shapes, access, passwords, bad input."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from pichr.domain import ids
from tests.integration.server import Account, PichrServer, assert_error, field_names
from tests.integration.test_album_support import (
    album_of,
    album_server,
    create_album,
    file_ids,
    upload_many,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(pg_admin_url: str) -> Iterator[PichrServer]:
    with album_server(pg_admin_url, "albums") as served:
        yield served


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def stranger(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def files(server: PichrServer, owner: Account) -> list[str]:
    return upload_many(server, owner, 6)


@pytest.fixture(scope="module")
def clumsy(server: PichrServer) -> Account:
    """Sends only bad requests: must never own an album."""
    return server.new_account()


@pytest.fixture
def client(server: PichrServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def test_create_answers_the_reference_fields_and_a_page_url(
    server: PichrServer, client: httpx.Client, owner: Account, files: list[str]
) -> None:
    made = create_album(
        client, owner, description="d", fileIds=files[:2], visibility="unlisted", tags=["a", "b"]
    )
    assert made["id"].startswith(ids.ALBUM)
    ids.to_uuid(ids.ALBUM, made["id"])  # base58 of a UUID
    assert (made["title"], made["description"], made["visibility"]) == ("An album", "d", "unlisted")
    assert (made["tags"], made["fileCount"], made["viewCount"]) == (["a", "b"], 2, 0)
    assert made["url"] == f"{server.base_url}/a/{made['id']}"
    assert made["createdAt"].endswith("Z")
    body = album_of(client, made["id"]).json()
    assert body["files"][0]["id"] == files[0]
    assert {"createdAt", "updatedAt", "viewCount", "fileCount", "files"} <= set(body)


def test_files_keep_the_order_they_were_added_in(
    client: httpx.Client, owner: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=[files[2], files[0], files[2]])["id"]
    added = client.post(
        f"/api/v1/albums/{album_id}/files",
        json={"fileIds": [files[0], files[1], files[3]]},
        headers=owner.headers,
    )
    assert added.status_code == 200, added.text
    assert added.json() == {"message": "Files added successfully", "added": 2, "requested": 3}
    removed = client.delete(f"/api/v1/albums/{album_id}/files/{files[2]}", headers=owner.headers)
    assert removed.status_code == 200, removed.text
    again = client.post(
        f"/api/v1/albums/{album_id}/files", json={"fileIds": [files[2]]}, headers=owner.headers
    )
    assert again.json()["added"] == 1
    assert file_ids(album_of(client, album_id)) == [files[0], files[1], files[3], files[2]]
    missing = client.delete(f"/api/v1/albums/{album_id}/files/{files[5]}", headers=owner.headers)
    assert_error(missing, 404)


def test_foreign_or_unknown_files_are_refused_by_name_and_nothing_is_added(
    server: PichrServer, client: httpx.Client, owner: Account, stranger: Account, files: list[str]
) -> None:
    theirs = upload_many(server, stranger, 1, first_seed=50)[0]
    unknown = ids.to_public(ids.FILE, ids.new_uuid())
    album_id = create_album(client, owner, fileIds=[files[0]])["id"]
    refused = client.post(
        f"/api/v1/albums/{album_id}/files",
        json={"fileIds": [files[1], theirs, unknown]},
        headers=owner.headers,
    )
    assert assert_error(refused, 403)["fileIds"] == [theirs, unknown]
    assert file_ids(album_of(client, album_id)) == [files[0]]
    create = client.post(
        "/api/v1/albums", json={"title": "x", "fileIds": [theirs]}, headers=owner.headers
    )
    assert assert_error(create, 403)["fileIds"] == [theirs]
    assert "x" not in [a["title"] for a in client.get(
        "/api/v1/albums", headers=owner.headers).json()["albums"]]  # fmt: skip


def test_list_shows_only_the_callers_live_albums_newest_first(
    server: PichrServer, client: httpx.Client, files: list[str]
) -> None:
    me, other = server.new_account(), server.new_account()
    made = [create_album(client, me, title=f"mine {i}")["id"] for i in range(3)]
    create_album(client, other, title="theirs")
    deleted = client.delete(f"/api/v1/albums/{made[1]}", headers=me.headers)
    assert deleted.status_code == 200, deleted.text
    listed = client.get("/api/v1/albums", params={"limit": 1}, headers=me.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [a["id"] for a in body["albums"]] == [made[2]]
    page = body["pagination"]
    assert (page["total"], page["limit"], page["offset"], page["hasMore"]) == (2, 1, 0, True)
    rest = client.get("/api/v1/albums", params={"offset": 1}, headers=me.headers).json()
    assert [a["id"] for a in rest["albums"]] == [made[0]]
    assert rest["pagination"]["hasMore"] is False
    assert_error(client.get("/api/v1/albums"), 401)


def test_a_private_album_is_not_found_for_anyone_but_its_owner(
    client: httpx.Client, owner: Account, stranger: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=files[:1], visibility="private")["id"]
    assert file_ids(album_of(client, album_id, owner)) == files[:1]
    for who in (stranger, None):
        assert_error(album_of(client, album_id, who), 404)
        assert client.get(f"/a/{album_id}", headers=who.headers if who else {}).status_code == 404
    patch = client.patch(
        f"/api/v1/albums/{album_id}", json={"title": "x"}, headers=stranger.headers
    )
    assert_error(patch, 404)
    assert_error(client.delete(f"/api/v1/albums/{album_id}", headers=stranger.headers), 404)


def test_strangers_may_look_at_a_public_album_but_not_change_it(
    client: httpx.Client, owner: Account, stranger: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=files[:1])["id"]
    assert file_ids(album_of(client, album_id, stranger)) == files[:1]
    patch = client.patch(
        f"/api/v1/albums/{album_id}", json={"title": "x"}, headers=stranger.headers
    )
    assert_error(patch, 403)
    assert_error(client.post("/api/v1/albums", json={"title": "anonymous"}), 401)
    reader = client.get("/api/v1/albums", headers={"Authorization": "Bearer pk_" + "1" * 32})
    assert_error(reader, 401)


def test_the_password_unlocks_and_wrong_guesses_are_throttled(
    client: httpx.Client, owner: Account, stranger: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=files[:2], password="s3cret")["id"]
    locked = assert_error(album_of(client, album_id, stranger), 401)
    assert locked["passwordRequired"] is True
    right = {"X-Album-Password": "s3cret"}
    assert file_ids(album_of(client, album_id, stranger, right)) == files[:2]
    assert file_ids(album_of(client, album_id, owner)) == files[:2]  # owners need none
    for _ in range(5):
        assert_error(album_of(client, album_id, None, {"X-Album-Password": "guess"}), 401)
    throttled = album_of(client, album_id, None, {"X-Album-Password": "guess"})
    assert_error(throttled, 429)
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    # While throttled even the right password waits: answers must not tell guesses apart.
    assert_error(album_of(client, album_id, None, {"X-Album-Password": "s3cret-2"}), 429)
    removed = client.patch(
        f"/api/v1/albums/{album_id}", json={"password": None}, headers=owner.headers
    )
    assert removed.json()["album"]["passwordProtected"] is False
    assert file_ids(album_of(client, album_id, stranger)) == files[:2]


def test_a_deleted_or_private_file_leaves_what_others_see_at_once(
    server: PichrServer, client: httpx.Client, owner: Account, stranger: Account
) -> None:
    f = upload_many(server, owner, 3, first_seed=20)
    album_id = create_album(client, owner, fileIds=f)["id"]
    assert file_ids(album_of(client, album_id, stranger)) == f  # now cached
    made_private = client.patch(
        f"/api/v1/files/{f[0]}", json={"visibility": "private"}, headers=owner.headers
    )
    assert made_private.status_code == 200, made_private.text
    assert file_ids(album_of(client, album_id, stranger)) == f[1:]
    assert file_ids(album_of(client, album_id, owner)) == f
    assert client.delete(f"/api/v1/files/{f[1]}", headers=owner.headers).status_code == 200
    seen = album_of(client, album_id, stranger)
    assert file_ids(seen) == [f[2]]
    assert seen.json()["fileCount"] == 1
    assert file_ids(album_of(client, album_id, owner)) == [f[0], f[2]]
    assert f[0] not in client.get(f"/a/{album_id}").text


def test_the_cover_must_be_in_the_album_and_shows_only_to_who_may_see_it(
    client: httpx.Client, owner: Account, stranger: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=files[:1])["id"]
    outside = client.patch(
        f"/api/v1/albums/{album_id}", json={"coverImageId": files[4], "title": "new"},
        headers=owner.headers,
    )  # fmt: skip
    assert "coverImageId" in field_names(assert_error(outside, 400))
    assert album_of(client, album_id).json()["title"] == "An album"  # nothing half-applied
    ok = client.patch(
        f"/api/v1/albums/{album_id}", json={"coverImageId": files[0]}, headers=owner.headers
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["updated"] == ["coverImageId"]
    assert album_of(client, album_id, stranger).json()["coverImageId"] == files[0]


def test_patch_changes_the_fields_given_and_names_them(
    client: httpx.Client, owner: Account
) -> None:
    album_id = create_album(client, owner, tags=["old"])["id"]
    patched = client.patch(
        f"/api/v1/albums/{album_id}",
        json={"title": "Renamed", "description": "now", "tags": ["new"], "visibility": "unlisted"},
        headers=owner.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["updated"] == ["description", "tags", "title", "visibility"]
    album = body["album"]
    assert (album["title"], album["description"], album["tags"]) == ("Renamed", "now", ["new"])
    assert album_of(client, album_id).json()["visibility"] == "unlisted"
    nothing = client.patch(f"/api/v1/albums/{album_id}", json={}, headers=owner.headers)
    assert nothing.status_code == 200, nothing.text
    assert (nothing.json()["updated"], nothing.json()["album"]) == ([], album)


def test_a_deleted_album_is_gone_everywhere(
    client: httpx.Client, owner: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner, fileIds=files[:1])["id"]
    assert client.delete(f"/api/v1/albums/{album_id}", headers=owner.headers).status_code == 200
    assert_error(album_of(client, album_id), 410)
    page = client.get(f"/a/{album_id}")
    assert page.status_code == 410
    assert "text/html" in page.headers["content-type"]
    add = client.post(
        f"/api/v1/albums/{album_id}/files", json={"fileIds": files[1:2]}, headers=owner.headers
    )
    assert_error(add, 410)
    assert client.get(f"/api/v1/files/{files[0]}").status_code == 200  # its files stay


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * (1024 * 1024)}, None),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "fileIds": [f"file_{i}" for i in range(10_000)]}, "fileIds"),
        ({"title": "x", "visibility": "secret"}, "visibility"),
        ({"title": "x", "owner": "usr_x"}, "owner"),
        ({"title": "x", "tags": ["t"] * 31}, "tags"),
        ({"title": "x", "password": "p" * 257}, "password"),
    ],
    ids=[
        "megabyte title",
        "long title",
        "empty title",
        "10k ids",
        "visibility",
        "unknown field",
        "too many tags",
        "long password",
    ],
)
def test_bad_create_bodies_are_4xx_and_create_nothing(
    client: httpx.Client, clumsy: Account, body: dict[str, object], field: str | None
) -> None:
    who = clumsy
    response = client.post("/api/v1/albums", json=body, headers=who.headers)
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)
    if field is not None:
        assert field in field_names(assert_error(response, 400))
    listed = client.get("/api/v1/albums", headers=who.headers).json()
    assert listed["albums"] == []


def test_bad_ids_and_bodies_on_other_routes_are_4xx(
    client: httpx.Client, owner: Account, files: list[str]
) -> None:
    album_id = create_album(client, owner)["id"]
    for bad in ("alb_0OIl", "alb_" + "z" * 40, "file_abc", "%3Cscript%3E"):
        assert_error(album_of(client, bad), 404)
    add = f"/api/v1/albums/{album_id}/files"
    assert_error(client.post(add, json={"fileIds": []}, headers=owner.headers), 400)
    assert_error(client.post(add, content=b"{not json", headers=owner.headers), 400)
    ten_k = {"fileIds": [files[0]] * 10_000}
    assert_error(client.post(add, json=ten_k, headers=owner.headers), 400)
    patch = client.patch(
        f"/api/v1/albums/{album_id}", json={"coverImageId": 5}, headers=owner.headers
    )
    assert_error(patch, 400)
    assert file_ids(album_of(client, album_id)) == []


def test_html_in_titles_is_shown_as_text_on_the_page(
    client: httpx.Client, owner: Account, files: list[str]
) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    album_id = create_album(client, owner, title=evil, description=evil, fileIds=files[:1])["id"]
    assert album_of(client, album_id).json()["title"] == evil  # JSON keeps the text as given
    page = client.get(f"/a/{album_id}")
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "onerror=" not in page.text.replace("onerror=&#34;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no scripts at all
    assert f"/i/{files[0]}" in page.text


def test_the_file_page_follows_the_files_own_visibility(
    server: PichrServer, client: httpx.Client, owner: Account, stranger: Account
) -> None:
    public, private, gone = upload_many(server, owner, 3, first_seed=30)
    client.patch(f"/api/v1/files/{private}", json={"visibility": "private"}, headers=owner.headers)
    client.delete(f"/api/v1/files/{gone}", headers=owner.headers)
    page = client.get(f"/f/{public}")
    assert page.status_code == 200
    assert f'src="{server.base_url}/i/{public}"' in page.text
    assert client.get(f"/f/{private}", headers=stranger.headers).status_code == 404
    assert client.get(f"/f/{private}", headers=owner.headers).status_code == 200
    assert client.get(f"/f/{gone}").status_code == 410
    assert client.get("/f/file_nope").status_code == 404


def test_views_of_an_album_are_counted(client: httpx.Client, owner: Account) -> None:
    album_id = create_album(client, owner)["id"]
    for _ in range(3):
        album_of(client, album_id)
    client.get(f"/a/{album_id}")
    deadline = time.monotonic() + 10
    while album_of(client, album_id, owner).json()["viewCount"] < 4:
        assert time.monotonic() < deadline, "views were not counted"
        time.sleep(0.1)


def test_the_openapi_document_describes_the_album_routes(client: httpx.Client) -> None:
    answer = client.get("/api/v1/schema/openapi.json")
    assert answer.status_code == 200, answer.text
    paths = answer.json()["paths"]
    album = paths["/api/v1/albums/{album_id}"]
    assert set(album) >= {"get", "patch", "delete"}
    assert {"401", "404", "410", "429"} <= set(album["get"]["responses"])
    assert "post" in paths["/api/v1/albums/{album_id}/files"]
    assert "delete" in paths["/api/v1/albums/{album_id}/files/{file_id}"]
    pages = [item[m] for p, item in paths.items() if p.startswith(("/a/", "/f/")) for m in item]
    assert len(pages) == 3  # GET /f, GET and POST /a: HTML pages, documented as such
    assert all(set(page["responses"]["200"]["content"]) == {"text/html"} for page in pages)


def test_a_413_from_content_length_leaves_the_connection_usable(
    server: PichrServer, clumsy: Account
) -> None:
    """A keep-alive client refused for its body's size sends its next request on the same
    connection: a body a little over the limit is read and dropped before the 413, so the
    server does not close under the client (who used to see "server disconnected")."""
    body = {"title": "x" * (1024 * 1024)}
    with server.client() as client:
        for _ in range(30):
            refused = client.post("/api/v1/albums", json=body, headers=clumsy.headers)
            assert_error(refused, 413)
            assert refused.headers.get("connection") != "close"
            assert client.get("/api/v1/albums", headers=clumsy.headers).status_code == 200


def test_a_413_for_a_body_far_over_the_limit_closes_the_connection(
    server: PichrServer, clumsy: Account
) -> None:
    body = {"title": "x" * (16 * 1024 * 1024)}
    with server.client() as client:
        refused = client.post("/api/v1/albums", json=body, headers=clumsy.headers)
        assert_error(refused, 413)
        assert refused.headers.get("connection") == "close"
        assert client.get("/api/v1/albums", headers=clumsy.headers).status_code == 200
