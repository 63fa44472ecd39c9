"""The image pipeline through a real `pichr serve`: every accepted format, metadata stripped
from what is served, thumbnails, duplicates, and bad input answered 4xx."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    finalize,
    fresh_server,
    presign,
    put_bytes,
)
from tests.support.analysis_images import (
    FORMATS,
    encoded,
    jpeg_with_gps,
    many_frames_gif,
    metadata_of,
)
from tests.support.photos import photo


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    with fresh_server(pg_admin_url, "pipeline", PICHR_FINALIZE_WAIT_MS="20000") as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account()


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client(timeout=30) as made:
        yield made


def _finalized(client: httpx.Client, who: Account, data: bytes, mime: str) -> dict[str, object]:
    made = presign(client, who, data, mime)
    assert put_bytes(client, who, made).status_code == 200
    done = finalize(client, who, made, width=1, height=1, phash="0" * 16, nsfwScore=0.99)
    assert done.status_code == 200, done.text
    body: dict[str, object] = done.json()
    return body


@pytest.mark.parametrize("mime", list(FORMATS))
def test_each_format_is_analyzed_and_served(
    client: httpx.Client, owner: Account, mime: str
) -> None:
    body = _finalized(client, owner, encoded(mime, (400, 300), seed=11), mime)
    file_id = body["fileId"]
    # The server's own values, not the client's.
    assert (body["status"], body["width"], body["height"]) == ("ready", 400, 300)
    assert body["phash"] != "0" * 16
    assert isinstance(body["nsfwScore"], float)
    assert body["nsfwScore"] < 0.8
    image = client.get(f"/i/{file_id}")
    assert image.status_code == 200
    served_as = "image/jpeg" if mime == "image/heic" else mime
    assert image.headers["content-type"] == served_as
    assert Image.open(io.BytesIO(image.content)).size == (400, 300)
    thumb = client.get(f"/t/{file_id}")
    assert (thumb.status_code, thumb.headers["content-type"]) == (200, "image/webp")
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)
    record = client.get(f"/api/v1/files/{file_id}", headers=owner.headers).json()
    assert (record["status"], record["phash"]) == ("ready", body["phash"])


def test_jpeg_with_gps_is_served_without_any_metadata(client: httpx.Client, owner: Account) -> None:
    data = jpeg_with_gps(orientation=6, size=(400, 300))
    assert "gps" in metadata_of(data)
    body = _finalized(client, owner, data, "image/jpeg")
    assert (body["width"], body["height"]) == (300, 400)  # orientation applied
    for path in (f"/i/{body['fileId']}", f"/api/v1/files/{body['fileId']}/download"):
        served = client.get(path, headers=owner.headers)
        assert served.status_code == 200
        assert metadata_of(served.content) == {}
        assert Image.open(io.BytesIO(served.content)).size == (300, 400)


def test_thumbnail_has_the_caching_rules_of_the_image(client: httpx.Client, owner: Account) -> None:
    body = _finalized(client, owner, encoded("image/png", (400, 300), seed=12), "image/png")
    path = f"/t/{body['fileId']}"
    first = client.get(path)
    etag = first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    part = client.get(path, headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, first.content[:10])
    patch = {"visibility": "private"}
    client.patch(f"/api/v1/files/{body['fileId']}", json=patch, headers=owner.headers)
    assert_error(client.get(path), 404)
    assert client.get(path, headers=owner.headers).status_code == 200


def test_finalize_reports_exact_and_similar_duplicates(
    client: httpx.Client, owner: Account, served: PichrServer
) -> None:
    picture = photo((640, 480), seed=21)
    first, close = io.BytesIO(), io.BytesIO()
    picture.save(first, "JPEG", quality=90)
    picture.save(close, "JPEG", quality=60)  # other bytes, the same picture
    original = _finalized(client, owner, first.getvalue(), "image/jpeg")
    same = _finalized(client, owner, first.getvalue(), "image/jpeg")
    assert same["duplicates"] == [{"fileId": original["fileId"], "kind": "exact", "distance": None}]
    similar = _finalized(client, owner, close.getvalue(), "image/jpeg")
    kinds = {(d["fileId"], d["kind"]) for d in similar["duplicates"]}  # type: ignore[attr-defined]
    assert kinds == {(original["fileId"], "similar"), (same["fileId"], "similar")}
    assert all(0 <= d["distance"] <= 8 for d in similar["duplicates"])  # type: ignore[attr-defined]
    stranger = _finalized(client, served.new_account(), first.getvalue(), "image/jpeg")
    assert stranger["duplicates"] == []  # only the caller's own files


def _bomb() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("case", "mime"),
    [
        ("truncated", "image/jpeg"),
        ("bomb", "image/png"),
        ("frames", "image/gif"),
        ("polyglot", "image/png"),  # a JPEG's trailer is dropped (test_phone_photos_http)
        ("mismatch", "image/jpeg"),
    ],
)
def test_bad_images_are_refused_with_415(
    client: httpx.Client, owner: Account, case: str, mime: str
) -> None:
    data = {
        "truncated": lambda: encoded("image/jpeg", (400, 300))[:3000],
        "bomb": _bomb,
        "frames": lambda: many_frames_gif(1500),
        "polyglot": lambda: encoded("image/png", (64, 48)) + b"PK\x03\x04" + b"<html>" * 50,
        "mismatch": lambda: encoded("image/png", (64, 48)),
    }[case]()
    made = presign(client, owner, data, mime)
    stored = put_bytes(client, owner, made)
    if stored.status_code != 200:  # refused while streaming: the type is decided by the bytes
        assert_error(stored, 415)
        return
    assert_error(finalize(client, owner, made), 415)
    assert_error(client.get(f"/i/{made.file_id}"), 404)
