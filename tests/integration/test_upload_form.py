"""The one-request upload (POST /api/v1/upload, multipart/form-data) against a real server: the
same answer as presign + PUT + finalize, the same limits, and refusals that leave nothing."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.integration.server import Account, PichrServer, assert_error, fresh_server, image

pytestmark = pytest.mark.integration
UPLOAD = "/api/v1/upload"
MAX_FILE = 300_000  # the free plan's file size limit on this server
WAIT = "120000"  # the answer comes after the analysis, even on a busy machine (200, not 202)
PLANS = json.dumps({"free": {"maxFileBytes": MAX_FILE, "uploadsPerHour": 10_000}})


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    extra = {"PICHR_PLANS": PLANS, "PICHR_FINALIZE_WAIT_MS": WAIT}
    with fresh_server(pg_admin_url, "form", **extra) as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account()


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client() as c:
        yield c


def noise_jpeg(side: int, seed: int = 0) -> bytes:
    """A JPEG that does not compress well: about side*side*0.4 bytes at quality 95."""
    data = bytes((i * 7919 + seed * 104729) % 251 for i in range(side * side * 3))
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), data).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def originals(server: PichrServer) -> set[Path]:
    root = server.blob_root / "uploads"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def used_bytes(client: httpx.Client, who: Account) -> int:
    """usedBytes once the usage view has folded everything so far."""
    seen: list[int] = []
    for _ in range(50):
        used = client.get("/api/v1/usage", headers=who.headers).json()["storage"]["usedBytes"]
        if seen and seen[-1] == used:
            return int(used)
        seen.append(used)
        time.sleep(0.1)
    return int(seen[-1])


def test_one_request_answers_like_finalize(client: httpx.Client, owner: Account) -> None:
    data = image(size=(41, 29), seed=3)
    fields = {"title": "Sunset", "tags": "a, b", "visibility": "unlisted", "expiresIn": "5"}
    answer = client.post(
        UPLOAD, files={"file": ("s.png", data, "image/png")}, data=fields, headers=owner.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["width"], body["height"], body["bytes"]) == (41, 29, len(data))
    assert (body["visibility"], body["status"], body["mime"]) == ("unlisted", "ready", "image/png")
    assert body["expiresAt"] is not None
    assert "deleteToken" not in body
    assert "X-Upload-RateLimit-Remaining" in answer.headers  # counted as an upload, as presign
    record = client.get(f"/api/v1/files/{body['fileId']}", headers=owner.headers).json()
    assert record["title"] == "Sunset"
    assert record["tags"] == ["a", "b"]
    assert client.get(f"/i/{body['fileId']}").status_code == 200


def test_anonymous_upload_gets_a_delete_url_that_works(client: httpx.Client) -> None:
    answer = client.post(UPLOAD, files={"file": ("a.png", image(seed=4), "image/png")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["deleteUrl"].endswith(f"/api/v1/files/{body['fileId']}")
    gone = client.delete(body["deleteUrl"], headers={"X-Delete-Token": body["deleteToken"]})
    assert gone.status_code == 200, gone.text
    assert client.get(f"/i/{body['fileId']}").status_code == 410


def test_the_part_type_is_not_trusted_the_bytes_are(client: httpx.Client, owner: Account) -> None:
    data = noise_jpeg(64)
    files = {"file": ("x.bin", data, "application/octet-stream")}
    answer = client.post(UPLOAD, files=files, headers=owner.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["mime"] == "image/jpeg"


@pytest.mark.parametrize(
    ("files", "data", "status", "field"),
    [
        ({"title": (None, b"no file", "text/plain")}, {}, 400, "file"),
        ({"picture": ("a.png", image(), "image/png")}, {}, 400, "picture"),
        ({"file": ("a.txt", b"hello, this is not an image at all!", "text/plain")}, {}, 415, None),
        ({"file": ("a.png", b"", "image/png")}, {}, 400, "file"),
        ({"file": ("a.png", image(), "image/png")}, {"visibility": "everyone"}, 400, None),
        ({"file": ("a.png", image(), "image/png")}, {"expiresIn": "soon"}, 400, "expiresIn"),
    ],
)
def test_bad_forms_are_refused_and_leave_nothing(
    served: PichrServer,
    client: httpx.Client,
    *,
    files: dict[str, tuple[str | None, bytes, str]],
    data: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    who = served.new_account()
    before = originals(served)
    answer = client.post(UPLOAD, files=files, data=data, headers=who.headers)
    details = assert_error(answer, status)
    if field is not None:
        assert details.get("field") == field, details
    assert originals(served) == before
    assert used_bytes(client, who) == 0


def test_two_files_are_refused(client: httpx.Client, owner: Account) -> None:
    files = [
        ("file", ("a.png", image(seed=5), "image/png")),
        ("file", ("b.png", image(), "image/png")),
    ]
    assert_error(client.post(UPLOAD, files=files, headers=owner.headers), 400)


def test_too_large_for_the_plan_is_413_and_leaves_nothing(
    served: PichrServer, client: httpx.Client
) -> None:
    who = served.new_account()
    before = originals(served)
    data = noise_jpeg(1000)
    assert len(data) > MAX_FILE
    answer = client.post(
        UPLOAD, files={"file": ("big.jpg", data, "image/jpeg")}, headers=who.headers
    )
    assert_error(answer, 413)
    assert originals(served) == before
    assert used_bytes(client, who) == 0


def test_a_truncated_body_is_400_and_leaves_nothing(
    served: PichrServer, client: httpx.Client
) -> None:
    who = served.new_account()
    before = originals(served)
    request = client.build_request(
        "POST",
        UPLOAD,
        files={"file": ("a.jpg", noise_jpeg(200), "image/jpeg")},
        headers=who.headers,
    )
    whole = request.read()
    cut = whole[: len(whole) // 2]
    headers = {**who.headers, "Content-Type": request.headers["Content-Type"]}
    answer = client.post(UPLOAD, content=cut, headers=headers)
    assert_error(answer, 400)
    assert originals(served) == before
    assert used_bytes(client, who) == 0


def test_not_a_form_is_400(client: httpx.Client, owner: Account) -> None:
    answer = client.post(
        UPLOAD, content=image(), headers={**owner.headers, "Content-Type": "image/png"}
    )
    assert assert_error(answer, 400)["field"] == "file"


def test_a_read_only_key_is_403(served: PichrServer, client: httpx.Client) -> None:
    reader = served.new_account(scopes="read")
    answer = client.post(
        UPLOAD, files={"file": ("a.png", image(), "image/png")}, headers=reader.headers
    )
    assert_error(answer, 403)


def test_upload_into_an_album(client: httpx.Client, owner: Account) -> None:
    album = client.post("/api/v1/albums", json={"title": "trip"}, headers=owner.headers)
    assert album.status_code == 201, album.text
    album_id = album.json()["id"]
    files = {"file": ("a.png", image(seed=9), "image/png")}
    answer = client.post(UPLOAD, files=files, data={"albumId": album_id}, headers=owner.headers)
    assert answer.status_code == 200, answer.text
    listed = client.get(f"/api/v1/albums/{album_id}", headers=owner.headers).json()
    assert answer.json()["fileId"] in json.dumps(listed)


def test_someone_elses_album_is_refused_before_anything_is_written(
    served: PichrServer, client: httpx.Client, owner: Account
) -> None:
    album = client.post("/api/v1/albums", json={"title": "mine"}, headers=owner.headers)
    other = served.new_account()
    before = originals(served)
    files = {"file": ("a.png", image(seed=10), "image/png")}
    data = {"albumId": album.json()["id"]}
    answer = client.post(UPLOAD, files=files, data=data, headers=other.headers)
    assert answer.status_code in (403, 404), answer.text
    assert originals(served) == before
    assert used_bytes(client, other) == 0


def test_one_request_on_each_blob_backend(server: PichrServer) -> None:
    """The fs and S3 (moto) stores take the same spooled body."""
    who = server.new_account()
    data = noise_jpeg(300, seed=2)
    with server.client() as c:
        answer = c.post(UPLOAD, files={"file": ("n.jpg", data, "image/jpeg")}, headers=who.headers)
        assert answer.status_code == 200, answer.text
        served = c.get(f"/i/{answer.json()['fileId']}")
    assert answer.json()["bytes"] == len(data)
    assert served.status_code == 200
    assert served.content[:3] == b"\xff\xd8\xff"
