"""The whole upload and file lifecycle over HTTP, against a real server on each blob backend."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

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


@pytest.fixture
def client(server: PichrServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def eventually(probe: Callable[[], Any], expected: Any, seconds: float = 10.0) -> Any:
    """Poll until probe() == expected (counters are folded in batches); the last value seen."""
    deadline = time.monotonic() + seconds
    value = probe()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        value = probe()
    return value


def meta(client: httpx.Client, who: Account | None, file_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/files/{file_id}", headers=who.headers if who else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_finalize_measures_the_bytes_and_ignores_client_values(
    client: httpx.Client, owner: Account
) -> None:
    data = image(size=(37, 23), seed=1)
    made = presign(client, owner, data, sha256=hashlib.sha256(data).hexdigest())
    assert put_bytes(client, owner, made).status_code == 200
    lies = {"width": 1, "height": 2, "phash": "ffffffffffffffff", "nsfwScore": 0.99}
    first = finalize(client, owner, made, **lies)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["fileId"], body["width"], body["height"]) == (made.file_id, 37, 23)
    assert (body["mime"], body["bytes"]) == ("image/png", len(data))
    # The server's own analysis, not the client's values.
    assert isinstance(body["nsfwScore"], float)
    assert body["nsfwScore"] < 0.5
    assert isinstance(body["phash"], str)
    assert len(body["phash"]) == 16
    assert body["phash"] != lies["phash"]
    assert body["ageRestricted"] is False
    again = finalize(client, owner, made, **lies)
    assert again.status_code == 200, again.text
    assert again.json() == body


def test_listing_shows_a_finalized_file_without_waiting(
    client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=2))
    listed = client.get("/api/v1/files", params={"limit": 100}, headers=owner.headers)
    assert listed.status_code == 200, listed.text
    assert made.file_id in [f["id"] for f in listed.json()["files"]]


def test_listing_paginates_sorts_and_filters(client: httpx.Client, server: PichrServer) -> None:
    who = server.new_account()
    small, mid, big = (image(size=(n, n), seed=n) for n in (8, 120, 400))
    assert len(small) < len(mid) < len(big)
    a = upload(client, who, small, visibility="public").file_id
    b = upload(client, who, mid, visibility="unlisted").file_id
    c = upload(client, who, big, visibility="private").file_id

    def page(**params: Any) -> tuple[list[str], tuple[int, int, int, bool]]:
        response = client.get("/api/v1/files", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        paging = response.json()["pagination"]
        counts = (paging["total"], paging["limit"], paging["offset"], paging["hasMore"])
        return [f["id"] for f in response.json()["files"]], counts

    assert page(limit=2) == ([c, b], (3, 2, 0, True))
    assert page(limit=2, offset=2) == ([a], (3, 2, 2, False))
    assert page(sort="size", order="asc")[0] == [a, b, c]
    assert page(sort="size", order="desc")[0] == [c, b, a]
    assert page(visibility="private") == ([c], (1, 50, 0, False))
    assert page(visibility="unlisted")[0] == [b]
    for file_id, views in ((b, 2), (a, 1)):
        for _ in range(views):
            assert client.get(f"/i/{file_id}", headers=who.headers).status_code == 200
        assert eventually(lambda f=file_id: meta(client, who, f)["viewCount"], views) == views
    assert page(sort="views", order="desc")[0] == [b, a, c]
    assert page(sort="views", order="asc")[0] == [c, a, b]


def test_file_metadata_describes_the_upload(client: httpx.Client, owner: Account) -> None:
    data = image(size=(31, 17), seed=3)
    made = upload(client, owner, data, title="Sunset", tags=["sky", "sea"], description="Nice")
    body = meta(client, owner, made.file_id)
    assert body["id"] == made.file_id
    assert (body["title"], body["description"], body["tags"]) == ("Sunset", "Nice", ["sky", "sea"])
    assert (body["width"], body["height"], body["bytes"]) == (31, 17, len(data))
    assert (body["viewCount"], body["downloadCount"], body["status"]) == (0, 0, "ready")
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["url"].endswith(f"/i/{made.file_id}")


def test_served_bytes_have_the_sniffed_type_a_strong_etag_and_ranges(
    client: httpx.Client, owner: Account
) -> None:
    data = image(seed=4)
    made = presign(client, owner, data, mime="image/png")
    # The PUT's own Content-Type header lies; the bytes decide.
    assert put_bytes(client, owner, made, content_type="image/jpeg").status_code == 200
    assert finalize(client, owner, made).status_code == 200
    url = f"/i/{made.file_id}"
    full = client.get(url)
    assert full.status_code == 200
    assert full.content == data
    assert full.headers["content-type"].split(";")[0] == "image/png"
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    assert full.headers["etag"] == etag
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == data[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(data)}"
    beyond = client.get(url, headers={"Range": f"bytes={len(data)}-{len(data) + 10}"})
    assert_error(beyond, 416)


def test_views_and_downloads_are_counted(client: httpx.Client, owner: Account) -> None:
    data = image(seed=5)
    made = upload(client, owner, data, filename="holiday photo.png")
    for _ in range(3):
        assert client.get(f"/i/{made.file_id}").status_code == 200
    assert eventually(lambda: meta(client, owner, made.file_id)["viewCount"], 3) == 3
    got = client.get(f"/api/v1/files/{made.file_id}/download", headers=owner.headers)
    assert got.status_code == 200
    assert got.content == data
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert 'filename="holiday photo.png"' in disposition
    assert eventually(lambda: meta(client, owner, made.file_id)["downloadCount"], 1) == 1


def test_patch_changes_title_tags_and_visibility(client: httpx.Client, owner: Account) -> None:
    made = upload(client, owner, image(seed=6))
    change = {"title": "Renamed", "tags": ["a", "b"], "visibility": "unlisted"}
    response = client.patch(f"/api/v1/files/{made.file_id}", json=change, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == ["tags", "title", "visibility"]
    body = meta(client, owner, made.file_id)
    assert (body["title"], body["tags"], body["visibility"]) == ("Renamed", ["a", "b"], "unlisted")


def test_private_files_are_hidden_from_everyone_else(
    client: httpx.Client, owner: Account, stranger: Account
) -> None:
    made = upload(client, owner, image(seed=7), visibility="private")
    routes = [
        f"/api/v1/files/{made.file_id}",
        f"/i/{made.file_id}",
        f"/api/v1/files/{made.file_id}/download",
    ]
    for route in routes:
        assert client.get(route, headers=owner.headers).status_code == 200
        assert_error(client.get(route, headers=stranger.headers), 404)
        assert_error(client.get(route), 404)
    public = {"visibility": "public"}
    response = client.patch(f"/api/v1/files/{made.file_id}", json=public, headers=owner.headers)
    assert response.status_code == 200
    for route in routes:
        assert client.get(route, headers=stranger.headers).status_code == 200


def test_deleted_files_answer_410_everywhere(
    client: httpx.Client, owner: Account, stranger: Account
) -> None:
    made = upload(client, owner, image(seed=8))
    route = f"/api/v1/files/{made.file_id}"
    assert_error(client.delete(route, headers=stranger.headers), 403)
    gone = client.delete(route, headers=owner.headers)
    assert gone.status_code == 200, gone.text
    assert gone.json()["fileId"] == made.file_id
    for path in (route, f"/i/{made.file_id}", f"{route}/download"):
        assert_error(client.get(path, headers=owner.headers), 410)
    listed = client.get("/api/v1/files", params={"limit": 100}, headers=owner.headers).json()
    assert made.file_id not in [f["id"] for f in listed["files"]]


def test_hotlink_policies_judge_the_referer(
    client: httpx.Client, server: PichrServer, owner: Account
) -> None:
    made = upload(client, owner, image(seed=9))
    route = f"/api/v1/files/{made.file_id}"
    block = client.patch(route, json={"hotlinkPolicy": "block"}, headers=owner.headers)
    assert block.status_code == 200, block.text

    def fetch(referer: str | None) -> httpx.Response:
        return client.get(f"/i/{made.file_id}", headers={"Referer": referer} if referer else {})

    assert_error(fetch("https://evil.example/page"), 403)
    assert fetch(f"{server.base_url}/gallery").status_code == 200
    assert fetch(None).status_code == 200
    friends = {"hotlinkPolicy": "whitelist", "hotlinkWhitelist": ["friend.example"]}
    assert client.patch(route, json=friends, headers=owner.headers).status_code == 200
    assert fetch("https://friend.example/post").status_code == 200
    assert_error(fetch("https://evil.example/page"), 403)


def test_anonymous_upload_needs_its_tokens(client: httpx.Client) -> None:
    data = image(seed=10)
    made = presign(client, None, data)
    token = made.presign["deleteToken"]
    assert isinstance(token, str)
    assert token
    assert "token=" in made.upload_url
    bare = made.upload_url.split("?", 1)[0]
    assert_error(client.put(bare, content=data), 404)
    assert put_bytes(client, None, made).status_code == 200
    assert finalize(client, None, made).status_code == 200
    route = f"/api/v1/files/{made.file_id}"
    assert client.get(route).status_code == 200
    assert_error(client.delete(route, headers={"X-Delete-Token": "wrong"}), 403)
    assert client.delete(route, headers={"X-Delete-Token": token}).status_code == 200
    assert_error(client.get(route), 410)
