"""Phone photos through a real `pichr serve`: accepted, and every served response carries the
primary image only, metadata-stripped; what followed it in the upload is never served."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import httpx
import pytest
from PIL import Image

from pichr.application.imaging.strip import strip
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    finalize,
    fresh_server,
    presign,
    put_bytes,
)
from tests.support import phone_photos
from tests.support.analysis_images import encoded, metadata_of

pytestmark = pytest.mark.integration


def _then_script(made: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    return made[0] + phone_photos.SCRIPT, made[1]


PHOTOS: dict[str, Callable[[], tuple[bytes, bytes]]] = {
    "mpo": lambda: _then_script(phone_photos.mpo()),
    "ultra-hdr": lambda: _then_script(phone_photos.ultra_hdr()),
    "motion-photo": lambda: phone_photos.motion_photo(video=phone_photos.mp4(phone_photos.SCRIPT)),
    "vendor-trailer": lambda: phone_photos.with_vendor_trailer(payload=phone_photos.SCRIPT),
    "script-after": lambda: (phone_photos.primary_jpeg() + phone_photos.SCRIPT,) * 2,
}


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    with fresh_server(pg_admin_url, "phones", PICHR_FINALIZE_WAIT_MS="20000") as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account()


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client(timeout=30) as made:
        yield made


@pytest.mark.parametrize("case", list(PHOTOS))
def test_phone_photo_is_accepted_and_only_its_primary_image_is_served(
    client: httpx.Client, owner: Account, case: str
) -> None:
    data, primary = PHOTOS[case]()
    if case == "script-after":
        primary = data[: -len(phone_photos.SCRIPT)]
    assert phone_photos.SCRIPT in data  # each carries the script somewhere after its primary
    assert "gps" in metadata_of(data)
    made = presign(client, owner, data, "image/jpeg")
    assert put_bytes(client, owner, made).status_code == 200
    done = finalize(client, owner, made)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["width"], done.json()["height"]) == (
        "ready", 400, 300,
    )  # fmt: skip
    file_id = made.file_id
    image = client.get(f"/i/{file_id}")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    body = image.content
    assert body == strip(primary, "image/jpeg")  # the primary, stripped: up to its EOI
    assert body.endswith(b"\xff\xd9")
    assert metadata_of(body) == {}
    decoded = Image.open(io.BytesIO(body))
    assert (decoded.format, decoded.size) == ("JPEG", (400, 300))
    tail = client.get(f"/i/{file_id}", headers={"Range": "bytes=-64"})
    assert (tail.status_code, tail.content) == (206, body[-64:])
    past = client.get(f"/i/{file_id}", headers={"Range": f"bytes={len(body)}-"})
    assert past.status_code == 416
    responses = [
        image, tail, past,
        client.get(f"/api/v1/files/{file_id}/download", headers=owner.headers),
        client.get(f"/t/{file_id}"),
        client.get(f"/f/{file_id}"),
        client.get(f"/api/v1/files/{file_id}", headers=owner.headers),
    ]  # fmt: skip
    assert responses[3].content == body
    for response in responses:
        assert response.status_code in (200, 206, 416)
        for marker in (b"<script>alert", b"ftyp", b"SEFT", b"MPF\0", b"hdrgm", b"GCamera"):
            assert marker not in response.content


def test_png_followed_by_a_page_is_still_refused(client: httpx.Client, owner: Account) -> None:
    data = encoded("image/png", (64, 48)) + b"PK\x03\x04" + phone_photos.SCRIPT
    made = presign(client, owner, data, "image/png")
    assert put_bytes(client, owner, made).status_code == 200
    assert_error(finalize(client, owner, made), 415)
    assert_error(client.get(f"/i/{made.file_id}"), 404)
