"""Image variants over HTTP (shared CONTRACT.md, "Image variants"), on both blob backends:
sizes and formats on request, served like the original with their own ETag, refused clearly."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.integration.pg import fresh_database
from tests.integration.s3server import run_s3_server
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    run_server,
    scratch_dir,
    upload,
)

pytestmark = pytest.mark.integration
CAP = 4  # distinct variants per file


@pytest.fixture(scope="module", params=["fs", "s3"])
def served(request: pytest.FixtureRequest, pg_admin_url: str) -> Iterator[PichrServer]:
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(scratch_dir("variants-" + request.param))
        url = stack.enter_context(fresh_database(pg_admin_url))
        s3 = stack.enter_context(run_s3_server()) if request.param == "s3" else None
        yield stack.enter_context(run_server(url, data_dir, s3, PICHR_VARIANTS_PER_FILE=str(CAP)))


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account()


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client(timeout=30) as c:
        yield c


def photo(seed: int, size: tuple[int, int] = (400, 300)) -> bytes:
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    img.paste((seed * 40 % 256, 90, 160), (0, 0, 40, 30))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def shown(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text[:300]
    return Image.open(io.BytesIO(response.content))


def test_a_width_and_a_format_give_that_image(client: httpx.Client, owner: Account) -> None:
    file_id = upload(client, owner, photo(1), "image/jpeg").file_id
    original = client.get(f"/i/{file_id}")
    small = client.get(f"/i/{file_id}", params={"w": 100, "format": "webp"})
    img = shown(small)
    assert (img.format, img.size) == ("WEBP", (100, 75))
    assert small.headers["content-type"] == "image/webp"
    assert small.headers["etag"] != original.headers["etag"]
    assert small.headers["cache-control"] == original.headers["cache-control"]
    again = client.get(f"/i/{file_id}.webp?w=100")  # the extension means the same
    assert (again.content, again.headers["etag"]) == (small.content, small.headers["etag"])
    etag = {"If-None-Match": small.headers["etag"]}
    assert client.get(f"/i/{file_id}?w=100&format=webp", headers=etag).status_code == 304
    ranged = client.get(f"/i/{file_id}.webp?w=100", headers={"Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.content) == (206, small.content[:10])


def test_cover_fills_the_box_and_nothing_is_upscaled(client: httpx.Client, owner: Account) -> None:
    file_id = upload(client, owner, photo(2), "image/jpeg").file_id
    assert shown(client.get(f"/i/{file_id}?w=120&h=120&fit=cover")).size == (120, 120)
    assert shown(client.get(f"/i/{file_id}.png?w=4000")).size == (400, 300)
    assert shown(client.get(f"/i/{file_id}.avif?h=30")).format == "AVIF"


def test_the_originals_own_type_is_the_original(client: httpx.Client, owner: Account) -> None:
    file_id = upload(client, owner, photo(3), "image/jpeg").file_id
    original = client.get(f"/i/{file_id}")
    for spelled in (f"/i/{file_id}.jpg", f"/i/{file_id}.JPEG", f"/i/{file_id}?w=400"):
        same = client.get(spelled)
        assert (same.content, same.headers["etag"]) == (original.content, original.headers["etag"])


@pytest.mark.parametrize(
    "asked",
    [
        "?w=0", "?w=4097", "?w=abc", "?h=-1", "?q=101", "?fit=stretch", "?format=bmp",
        "?width=100", "?w=10&w=20", ".bmp", ".", ".gif", ".png?format=webp",
    ],
)  # fmt: skip
def test_bad_values_are_refused_in_the_error_format(
    client: httpx.Client, owner: Account, asked: str
) -> None:
    file_id = upload(client, owner, photo(4), "image/jpeg").file_id
    assert_error(client.get(f"/i/{file_id}{asked}"), 400)


def test_a_variant_of_what_the_caller_may_not_see_is_not_made(
    client: httpx.Client, owner: Account, served: PichrServer
) -> None:
    file_id = upload(client, owner, photo(5), "image/jpeg", visibility="private").file_id
    assert_error(client.get(f"/i/{file_id}.webp?w=50"), 404)
    assert shown(client.get(f"/i/{file_id}.webp?w=50", headers=owner.headers)).size == (50, 38)
    deleted = client.delete(f"/api/v1/files/{file_id}", headers=owner.headers)
    assert deleted.status_code in (200, 204), deleted.text
    assert client.get(f"/i/{file_id}.webp?w=50", headers=owner.headers).status_code == 410


def test_a_file_has_at_most_its_cap_of_variants(client: httpx.Client, owner: Account) -> None:
    file_id = upload(client, owner, photo(6), "image/jpeg").file_id
    for width in range(10, 10 + CAP):
        shown(client.get(f"/i/{file_id}.webp?w={width}"))
    details = assert_error(client.get(f"/i/{file_id}.webp?w=99"), 400)
    assert details["limit"] == CAP
    assert shown(client.get(f"/i/{file_id}.webp?w=10")).size[0] == 10  # made ones still serve
    assert shown(client.get(f"/i/{file_id}")).size == (400, 300)


def test_a_variant_follows_the_originals_hotlink_policy(
    client: httpx.Client, owner: Account, served: PichrServer
) -> None:
    file_id = upload(client, owner, photo(7), "image/jpeg").file_id
    route = f"/api/v1/files/{file_id}"
    assert client.patch(route, json={"hotlinkPolicy": "block"}, headers=owner.headers).is_success
    foreign = {"Referer": "https://evil.example/page"}
    assert_error(client.get(f"/i/{file_id}.webp?w=60", headers=foreign), 403)
    own = {"Referer": f"{served.base_url}/gallery"}
    assert shown(client.get(f"/i/{file_id}.webp?w=60", headers=own)).size == (60, 45)
    assert_error(client.get(f"/i/{file_id}.webp?w=60", headers=foreign), 403)  # made: still refused
