"""Image analysis without services: every format, metadata stripping, orientation, bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pichr.application.imaging.analysis import Analysis, analyze
from pichr.application.imaging.nsfw import NsfwModel
from pichr.application.imaging.sniff import UnsupportedMediaError, inspect_image
from pichr.application.imaging.strip import strip
from tests.support.analysis_images import (
    FORMATS,
    encoded,
    exif_with_gps,
    jpeg_with_gps,
    many_frames_gif,
    metadata_of,
)


@pytest.fixture(scope="module")
def model() -> NsfwModel:
    return NsfwModel()


def _decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize("mime", list(FORMATS))
def test_every_accepted_format_is_analyzed(mime: str, model: NsfwModel) -> None:
    data = encoded(mime, (400, 300), seed=3)
    result: Analysis = analyze(data, model.score)
    facts = result.derived
    assert (facts.mime, facts.width, facts.height) == (mime, 400, 300)
    assert len(facts.phash) == 16
    int(facts.phash, 16)
    assert 0.0 <= result.nsfw_score <= 1.0
    served = _decoded(result.rendition)
    assert served.size == (400, 300)
    thumb = _decoded(facts.thumbnail)
    assert (thumb.format, thumb.size) == ("WEBP", (320, 240))
    if mime == "image/gif":
        assert (facts.frames, getattr(served, "n_frames", 1)) == (2, 2)


@pytest.mark.parametrize("mime", ["image/jpeg", "image/png", "image/webp", "image/avif"])
def test_served_rendition_carries_no_exif_gps_or_comment(mime: str, model: NsfwModel) -> None:
    extra: dict[str, object] = {"exif": exif_with_gps()}
    if mime == "image/jpeg":
        extra["comment"] = b"secret note"
    data = encoded(mime, (200, 100), **extra)
    assert "gps" in metadata_of(data)
    assert metadata_of(analyze(data, model.score).rendition) == {}


def test_upright_jpeg_is_stripped_losslessly(model: NsfwModel) -> None:
    data = jpeg_with_gps(orientation=1)
    served = analyze(data, model.score).rendition
    assert len(served) < len(data)
    original, stripped = np.asarray(_decoded(data)), np.asarray(_decoded(served))
    assert np.array_equal(original, stripped)


def test_exif_orientation_is_applied_before_stripping(model: NsfwModel) -> None:
    result = analyze(jpeg_with_gps(orientation=6, size=(400, 300)), model.score)
    assert (result.derived.width, result.derived.height) == (300, 400)
    served = _decoded(result.rendition)
    assert served.size == (300, 400)
    assert metadata_of(result.rendition) == {}
    assert served.getexif().get(0x0112) in (None, 1)


def test_png_text_and_gif_comments_are_dropped() -> None:
    img = Image.new("RGB", (20, 10), (1, 2, 3))
    buf = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo  # noqa: PLC0415

    info = PngInfo()
    info.add_text("Author", "Jane Doe")
    img.save(buf, "PNG", pnginfo=info, exif=exif_with_gps())
    assert metadata_of(strip(buf.getvalue(), "image/png")) == {}
    gif = io.BytesIO()
    img.convert("P").save(gif, "GIF", comment=b"Jane Doe was here")
    assert metadata_of(strip(gif.getvalue(), "image/gif")) == {}


@pytest.mark.parametrize("mime", ["image/png", "image/gif", "image/webp"])
def test_polyglot_with_data_after_the_image_is_refused(mime: str, model: NsfwModel) -> None:
    # A JPEG's trailer is dropped instead (test_phone_photos.py).
    data = encoded(mime, (64, 48)) + b"PK\x03\x04<html><script>alert(1)</script></html>"
    with pytest.raises(UnsupportedMediaError):
        analyze(data, model.score)


def test_padding_after_the_image_is_tolerated(model: NsfwModel) -> None:
    data = encoded("image/jpeg", (64, 48))
    assert analyze(data + b"\0" * 100, model.score).rendition == strip(data, "image/jpeg")


def test_truncated_image_is_refused(model: NsfwModel) -> None:
    data = encoded("image/jpeg", (400, 300))
    with pytest.raises(UnsupportedMediaError):
        analyze(data[: len(data) // 2], model.score)


def test_decompression_bomb_is_refused_without_decoding() -> None:
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")  # 400 MP, a few KB
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(buf.getvalue()), "image/png")


def test_animation_with_thousands_of_frames_is_refused_at_finalize() -> None:
    with pytest.raises(UnsupportedMediaError) as refused:
        inspect_image(io.BytesIO(many_frames_gif(1500)), "image/gif")
    assert refused.value.details["frames"] == 1500


def test_svg_and_declared_type_mismatch_are_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(svg), "image/png")
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(encoded("image/png")), "image/jpeg")


@pytest.mark.parametrize("mime", ["image/avif", "image/heic"])
def test_avif_and_heic_pass_the_finalize_decode_check(mime: str) -> None:
    facts = inspect_image(io.BytesIO(encoded(mime, (120, 80))), mime)
    assert (facts.mime, facts.width, facts.height) == (mime, 120, 80)


def test_heic_is_served_as_jpeg(model: NsfwModel) -> None:
    result = analyze(encoded("image/heic", (120, 80)), model.score)
    assert result.rendition_mime == "image/jpeg"
    assert _decoded(result.rendition).format == "JPEG"


@pytest.mark.parametrize(
    "params",
    [
        {"progressive": True},
        {"restart_marker_rows": 1},
        {"subsampling": 0, "quality": 95},
    ],
    ids=["progressive", "restart-markers", "4:4:4"],
)
def test_jpeg_variants_keep_identical_pixels_after_stripping(params: dict[str, object]) -> None:
    data = encoded("image/jpeg", (333, 222), seed=8, exif=exif_with_gps(), **params)
    stripped = strip(data, "image/jpeg")
    assert metadata_of(stripped) == {}
    assert np.array_equal(np.asarray(_decoded(data)), np.asarray(_decoded(stripped)))


def test_cmyk_jpeg_keeps_its_colours_after_stripping() -> None:
    buf = io.BytesIO()
    Image.new("CMYK", (40, 30), (10, 200, 30, 5)).save(buf, "JPEG", exif=exif_with_gps())
    stripped = strip(buf.getvalue(), "image/jpeg")
    assert metadata_of(stripped) == {}
    assert _decoded(stripped).getpixel((5, 5)) == _decoded(buf.getvalue()).getpixel((5, 5))
