"""Photos straight from phones: the primary JPEG is served, metadata-stripped; whatever follows
it (a second image, a video, a vendor trailer, a script) never is. Polyglots stay refused."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from pichr.application.imaging.analysis import analyze
from pichr.application.imaging.nsfw import NsfwModel
from pichr.application.imaging.sniff import UnsupportedMediaError, inspect_image, sniff_mime
from pichr.application.imaging.strip import strip
from tests.support import phone_photos
from tests.support.analysis_images import encoded, metadata_of

PHONE_PHOTOS: dict[str, Callable[[], tuple[bytes, bytes]]] = {
    "mpo": phone_photos.mpo,
    "ultra-hdr": phone_photos.ultra_hdr,
    "motion-photo": phone_photos.motion_photo,
    "vendor-trailer": phone_photos.with_vendor_trailer,
    "script-after": lambda: (phone_photos.primary_jpeg() + phone_photos.SCRIPT,) * 2,
}


@pytest.fixture(scope="module")
def model() -> NsfwModel:
    return NsfwModel()


def _decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _primary_of(case: str) -> tuple[bytes, bytes]:
    data, primary = PHONE_PHOTOS[case]()
    if case == "script-after":
        primary = data[: -len(phone_photos.SCRIPT)]
    assert primary.endswith(b"\xff\xd9")
    assert len(data) > len(primary)  # something does follow the primary image
    return data, primary


@pytest.mark.parametrize("case", list(PHONE_PHOTOS))
def test_the_primary_image_is_served_and_what_follows_it_is_dropped(
    case: str, model: NsfwModel
) -> None:
    data, primary = _primary_of(case)
    assert "gps" in metadata_of(data)
    facts = inspect_image(io.BytesIO(data), "image/jpeg")  # finalize's check
    assert (facts.mime, facts.width, facts.height) == ("image/jpeg", 400, 300)
    result = analyze(data, model.score)
    assert (result.derived.frames, result.rendition_mime) == (1, "image/jpeg")
    served = result.rendition
    # Exactly the primary, stripped: it ends at the primary's EOI, nothing of the rest.
    assert served == strip(primary, "image/jpeg")
    assert served.endswith(b"\xff\xd9")
    assert data[len(primary) :] not in served
    for marker in (b"MPF\0", b"ftyp", b"SEFT", b"<script", b"hdrgm", b"GCamera"):
        assert marker not in served
        assert marker not in result.derived.thumbnail
    assert metadata_of(served) == {}
    assert np.array_equal(np.asarray(_decoded(served)), np.asarray(_decoded(primary)))


def test_a_turned_mpo_is_served_upright_as_one_jpeg(model: NsfwModel) -> None:
    data, _ = phone_photos.mpo(orientation=6)
    result = analyze(data, model.score)
    assert (result.derived.width, result.derived.height, result.derived.frames) == (300, 400, 1)
    served = _decoded(result.rendition)
    assert (served.format, served.size) == ("JPEG", (300, 400))
    assert metadata_of(result.rendition) == {}
    assert b"MPF\0" not in result.rendition


@pytest.mark.parametrize("mime", ["image/png", "image/gif", "image/webp"])
def test_other_formats_with_data_after_the_image_stay_refused(mime: str, model: NsfwModel) -> None:
    data = encoded(mime, (64, 48)) + b"PK\x03\x04" + phone_photos.SCRIPT
    with pytest.raises(UnsupportedMediaError):
        analyze(data, model.score)


@pytest.mark.parametrize(
    "head",
    [b"PK\x03\x04" + b"\0" * 26, phone_photos.SCRIPT, b"%PDF-1.7\n", phone_photos.mp4()],
    ids=["zip", "html", "pdf", "mp4"],
)
def test_polyglots_whose_first_bytes_are_no_image_stay_refused(head: bytes) -> None:
    data = head + phone_photos.primary_jpeg()
    assert sniff_mime(data[:32]) is None  # refused while the PUT streams
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(data), "image/jpeg")
