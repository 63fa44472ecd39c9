"""Multipart uploads over HTTP against a real server, on filesystem blobs and on S3 (moto)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration import multipart_helpers as mp
from tests.integration.s3server import require_configured
from tests.integration.server import Account, PichrServer, assert_error, field_names

pytestmark = pytest.mark.integration


@pytest.fixture
def client(server: PichrServer) -> Iterator[httpx.Client]:
    with server.client(timeout=60) as c:
        yield c


@pytest.fixture(autouse=True)
def _s3_has_multipart_listing(server: PichrServer) -> None:
    if "PICHR_S3_ENDPOINT" in server.env:  # the API's multipart upload lists and aborts parts
        require_configured("ListParts", "AbortMultipartUpload")


def is_s3(server: PichrServer) -> bool:
    return "PICHR_S3_ENDPOINT" in server.env


def test_parts_complete_and_finalize_into_a_served_image(
    server: PichrServer, client: httpx.Client, owner: Account
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data, title="large", sha256=hashlib.sha256(data).hexdigest())
    assert (made["partCount"], made["partSize"], made["totalBytes"]) == (2, mp.PART, len(data))
    parts = mp.send_parts(client, owner, made, data)
    done = mp.complete(client, owner, made, parts, r2Key=made["r2Key"])
    assert done.status_code == 200, done.text
    assert set(done.json()) == {"fileId", "etag"}
    assert done.json()["fileId"] == made["fileId"]
    final = mp.finalize(client, owner, made)
    assert final.status_code in (200, 202), final.text
    mp.analyzed(client, owner, final)
    served = client.get(f"/i/{made['fileId']}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    meta = client.get(f"/api/v1/files/{made['fileId']}", headers=owner.headers).json()
    assert (meta["bytes"], meta["sha256"], meta["title"]) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        "large",
    )
    state = mp.status(client, owner, made["uploadId"]).json()
    assert (state["status"], state["etag"], state["parts"]) == (
        "completed",
        done.json()["etag"],
        [],
    )


def test_part_urls_point_at_the_store_when_it_can_presign(
    server: PichrServer, client: httpx.Client, owner: Account
) -> None:
    made = mp.started(client, owner, mp.noise_png())
    for part in made["parts"]:
        url = urlsplit(part["uploadUrl"])
        if not is_s3(server):
            route = f"/api/v1/upload/multipart/{made['uploadId']}/parts/{part['partNumber']}"
            assert (f"{url.scheme}://{url.netloc}", url.path) == (server.base_url, route)
            continue
        # Straight to S3: this upload's object key and part, signed, and expiring.
        query = parse_qs(url.query)
        assert url.netloc == server.env["PICHR_S3_ENDPOINT"]
        assert url.path.endswith("/" + made["r2Key"])
        assert query["partNumber"] == [str(part["partNumber"])]
        assert query["uploadId"][0]
        assert query["X-Amz-Expires"] == [str(24 * 3600)]
        assert query["X-Amz-Signature"][0]


def test_status_lists_arrived_parts_so_a_client_can_resume(
    client: httpx.Client, owner: Account
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    sent = mp.send_parts(client, owner, made, data, numbers=[2])
    state = mp.status(client, owner, made["uploadId"])
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["status"] == "open"
    assert [(p["partNumber"], p["size"], p["etag"]) for p in body["parts"]] == [
        (2, len(data) - mp.PART, sent[0]["etag"])
    ]
    assert body["missing"] == [1]
    urls = {p["partNumber"]: p["uploadUrl"] for p in body["pending"]}
    sent = mp.send_parts(client, owner, made, data, numbers=[1], urls=urls) + sent
    assert mp.complete(client, owner, made, sent).status_code == 200


def test_a_part_through_this_server_is_checked_against_its_checksum(
    client: httpx.Client, owner: Account
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    route = f"/api/v1/upload/multipart/{made['uploadId']}/parts/2"
    tail = mp.chunk_of(made, data, 2)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()  # noqa: S324 (HTTP's)
    refused = mp.put_part(client, owner, route, tail, {"Content-MD5": wrong})
    assert "Content-MD5" in field_names(assert_error(refused, 400))
    refused = mp.put_part(client, owner, route, tail, {"X-Part-Sha256": "0" * 64})
    assert_error(refused, 400)
    assert mp.status(client, owner, made["uploadId"]).json()["parts"] == []
    right = base64.b64encode(hashlib.sha256(tail).digest()).decode()
    stored = mp.put_part(client, owner, route, tail, {"x-amz-checksum-sha256": right})
    assert stored.status_code == 200, stored.text
    assert stored.json()["sha256"] == hashlib.sha256(tail).hexdigest()


@pytest.mark.parametrize(
    ("total", "part_size", "status"),
    [
        (12 * mp.MiB, mp.MiB, 400),  # parts under 5 MiB
        (10_001 * mp.PART, mp.PART, 400),  # more than 10,000 parts
        (10**12, 1024 * mp.MiB, 413),  # over the size limit
        (0, mp.PART, 400),  # nothing to upload
    ],
)
def test_init_refuses_impossible_part_plans(
    client: httpx.Client, owner: Account, total: int, part_size: int, status: int
) -> None:
    body = {"filename": "a.png", "mime": "image/png", "totalBytes": total, "partSize": part_size}
    refused = client.post("/api/v1/upload/multipart/init", json=body, headers=owner.headers)
    assert_error(refused, status)


def test_multipart_needs_a_key(client: httpx.Client) -> None:
    assert_error(mp.init(client, None, mp.noise_png()), 401)


@pytest.mark.parametrize(("number", "cut"), [(1, -1), (2, 1), (0, 0), (3, 0), (10_001, 0)], ids=str)
def test_parts_of_the_wrong_size_or_number_are_refused(
    client: httpx.Client, owner: Account, number: int, cut: int
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    body = mp.chunk_of(made, data, max(1, min(number, 2)))
    body = body[:cut] if cut < 0 else body + b"x" * cut
    route = f"/api/v1/upload/multipart/{made['uploadId']}/parts/{number}"
    assert_error(mp.put_part(client, owner, route, body), 400)
    assert mp.status(client, owner, made["uploadId"]).json()["parts"] == []


def test_complete_refuses_parts_that_do_not_add_up(client: httpx.Client, owner: Account) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    one, two = mp.send_parts(client, owner, made, data)
    for parts in (
        [one],  # missing
        [two, one],  # misordered
        [one, {**two, "etag": one["etag"]}],  # wrong etag
        [one, two, {**two, "partNumber": 3}],  # a part the upload does not have
    ):
        assert "parts" in field_names(assert_error(mp.complete(client, owner, made, parts), 400))
    assert_error(mp.complete(client, owner, made, [one, two], r2Key="uploads/other"), 400)
    assert_error(mp.complete(client, owner, {**made, "fileId": "file_1111"}, [one, two]), 404)
    assert mp.status(client, owner, made["uploadId"]).json()["status"] == "open"
    first = mp.complete(client, owner, made, [one, two])
    again = mp.complete(client, owner, made, [one, two])  # documented: idempotent
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


def test_another_key_sees_no_such_upload(
    client: httpx.Client, owner: Account, stranger: Account
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    parts = mp.send_parts(client, owner, made, data, numbers=[2])
    route = f"/api/v1/upload/multipart/{made['uploadId']}/parts/1"
    assert_error(mp.status(client, stranger, made["uploadId"]), 404)
    assert_error(mp.put_part(client, stranger, route, mp.chunk_of(made, data, 1)), 404)
    assert_error(mp.complete(client, stranger, made, parts), 404)
    assert_error(mp.abort(client, stranger, made["uploadId"]), 404)
    assert mp.status(client, owner, made["uploadId"]).json()["status"] == "open"


def test_abort_deletes_the_parts_and_the_file_is_gone(client: httpx.Client, owner: Account) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    parts = mp.send_parts(client, owner, made, data, numbers=[1])
    aborted = mp.abort(client, owner, made["uploadId"])
    assert aborted.status_code == 200, aborted.text
    assert mp.abort(client, owner, made["uploadId"]).status_code == 200
    assert mp.status(client, owner, made["uploadId"]).json()["status"] == "aborted"
    assert_error(mp.complete(client, owner, made, parts), 409)
    assert_error(mp.finalize(client, owner, made), 410)
    gone = client.get(f"/api/v1/files/{made['fileId']}", headers=owner.headers)
    assert_error(gone, 410)


def test_joined_bytes_that_are_no_image_are_refused_and_not_kept(
    client: httpx.Client, owner: Account
) -> None:
    data = b"\x00" * (mp.PART + 10)
    made = mp.started(client, owner, data)
    refused = mp.complete(client, owner, made, mp.send_parts(client, owner, made, data))
    assert_error(refused, 415)
    assert mp.status(client, owner, made["uploadId"]).json()["status"] == "aborted"
    assert_error(mp.finalize(client, owner, made), 409)
