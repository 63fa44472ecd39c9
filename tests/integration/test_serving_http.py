"""Serving the bytes over HTTP on each blob backend: HEAD, conditional requests, If-Range, the
download's ranges, and the hot cache of S3 blobs (filled by a view, never sent once the file is
gone or held, its copies dropped)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.server import Account, PichrServer, assert_error, image, upload

pytestmark = pytest.mark.integration


@pytest.fixture
def client(server: PichrServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def cached_copies(server: PichrServer) -> list[bytes]:
    root = server.data_dir / "cache"
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return [Path(p).read_bytes() for p in files]


def test_head_answers_the_headers_of_get_without_the_bytes(
    client: httpx.Client, owner: Account
) -> None:
    data = image(seed=21)
    made = upload(client, owner, data)
    for route in (f"/i/{made.file_id}", f"/t/{made.file_id}"):
        got, head = client.get(route), client.head(route)
        assert (got.status_code, head.status_code) == (200, 200), route
        assert head.content == b""
        for name in ("etag", "content-type", "content-length", "cache-control", "last-modified"):
            assert head.headers[name] == got.headers[name], (route, name)
    assert int(client.head(f"/i/{made.file_id}").headers["content-length"]) == len(data)
    part = client.head(f"/i/{made.file_id}", headers={"Range": "bytes=2-5"})
    assert (part.status_code, part.headers["content-range"]) == (206, f"bytes 2-5/{len(data)}")


def test_if_modified_since_answers_304_unless_the_bytes_are_newer(
    client: httpx.Client, owner: Account
) -> None:
    made = upload(client, owner, image(seed=22))
    url = f"/i/{made.file_id}"
    stamp = client.get(url).headers["last-modified"]
    same = client.get(url, headers={"If-Modified-Since": stamp})
    assert (same.status_code, same.content) == (304, b"")
    earlier = format_datetime(parsedate_to_datetime(stamp).replace(year=2001), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    other = {"If-None-Match": '"another"', "If-Modified-Since": stamp}
    assert client.get(url, headers=other).status_code == 200


def test_if_range_sends_the_part_only_of_the_same_bytes(
    client: httpx.Client, owner: Account
) -> None:
    data = image(seed=23)
    made = upload(client, owner, data)
    url = f"/i/{made.file_id}"
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    same = client.get(url, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert (same.status_code, same.content) == (206, data[:4])
    changed = client.get(url, headers={"Range": "bytes=0-3", "If-Range": '"older"'})
    assert (changed.status_code, changed.content) == (200, data)


def test_download_has_ranges_and_conditional_answers(client: httpx.Client, owner: Account) -> None:
    data = image(seed=24)
    made = upload(client, owner, data)
    url = f"/api/v1/files/{made.file_id}/download"
    full = client.get(url, headers=owner.headers)
    assert full.content == data
    assert full.headers["content-disposition"].startswith("attachment;")
    part = client.get(url, headers={**owner.headers, "Range": "bytes=-4"})
    assert (part.status_code, part.content) == (206, data[-4:])
    again = client.get(url, headers={**owner.headers, "If-None-Match": full.headers["etag"]})
    assert again.status_code == 304


def test_a_viewed_s3_image_is_kept_locally_and_its_copy_dropped_when_deleted(
    client: httpx.Client, owner: Account, server: PichrServer
) -> None:
    data = image(seed=25, size=(120, 90))
    made = upload(client, owner, data)
    url = f"/i/{made.file_id}"
    assert data not in cached_copies(server)
    assert client.get(url).content == data  # streamed from the store, kept on the way
    if server.env.get("PICHR_S3_ENDPOINT"):
        assert data in cached_copies(server)
    else:
        assert cached_copies(server) == []  # the filesystem store is sent by path itself
    assert client.get(url).content == data  # by path, from the local copy
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert (part.status_code, part.content) == (206, data[10:20])
    deleted = client.delete(f"/api/v1/files/{made.file_id}", headers=owner.headers)
    assert deleted.status_code == 200, deleted.text
    assert_error(client.get(url), 410)
    assert data not in cached_copies(server)


def test_a_held_file_is_never_sent_from_its_local_copy(
    client: httpx.Client, owner: Account, server: PichrServer
) -> None:
    data = image(seed=26, size=(90, 120))
    made = upload(client, owner, data)
    url = f"/i/{made.file_id}"
    assert client.get(url).content == data
    body = {"fileId": made.file_id, "reason": "csam"}
    assert client.post("/api/v1/moderation/report", json=body).status_code == 201
    assert_error(client.get(url), 451)
    assert client.head(url).status_code == 451
    assert data not in cached_copies(server)
