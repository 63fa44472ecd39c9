"""Image variants (shared CONTRACT.md, "Image variants"): which variant a request names, how it
renders, and how a file's variants are kept, capped and purged."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.variants import Variants, owner_key, variant_etag, variant_key
from pichr.application.imaging.variant_spec import Asked, Variant, plan
from pichr.application.imaging.variants import render
from pichr.domain.errors import InvalidInputError, UnavailableError

HD = (1920, 1080)


def jpeg(size: tuple[int, int] = HD) -> bytes:
    img = Image.radial_gradient("L").resize(size).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    shots = [Image.new("RGB", (200, 100), (80 * i, 0, 255 - 80 * i)) for i in range(frames)]
    buf = io.BytesIO()
    shots[0].save(buf, "GIF", save_all=True, append_images=shots[1:], duration=70, loop=0)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_width_keeps_the_ratio() -> None:
    variant = plan(Asked(width=640), HD, "image/jpeg")
    assert variant is not None
    assert (variant.width, variant.height, variant.mime, variant.crop) == (
        640,
        360,
        "image/jpeg",
        False,
    )


@pytest.mark.parametrize(
    "asked",
    [
        Asked(width=5000),
        Asked(width=1920, height=4096),
        Asked(mime="image/jpeg"),
        Asked(fit="cover"),
    ],
)
def test_what_names_the_original_is_the_original(asked: Asked) -> None:
    assert plan(asked, HD, "image/jpeg") is None


def test_no_upscaling_in_another_format() -> None:
    variant = plan(Asked(width=4000, mime="image/webp"), HD, "image/jpeg")
    assert variant is not None
    assert (variant.width, variant.height) == HD


def test_cover_fills_the_box_and_crops() -> None:
    variant = plan(Asked(width=300, height=300, fit="cover"), HD, "image/jpeg")
    assert variant is not None
    assert (variant.width, variant.height, variant.crop) == (300, 300, True)
    out = opened(render(jpeg(), variant))
    assert out.size == (300, 300)
    assert out.format == "JPEG"


def test_gif_is_only_an_originals_own_type() -> None:
    with pytest.raises(InvalidInputError):
        plan(Asked(mime="image/gif"), HD, "image/jpeg")


def test_spellings_of_one_output_share_one_name() -> None:
    one = plan(Asked(width=640, mime="image/webp"), HD, "image/jpeg")
    two = plan(Asked(height=360, mime="image/webp", quality=80), HD, "image/jpeg")
    assert one is not None
    assert one == two
    assert one.name == "640x360-contain-q80.webp"


@pytest.mark.parametrize(
    ("mime", "format_"),
    [("image/webp", "WEBP"), ("image/png", "PNG"), ("image/avif", "AVIF"), ("image/jpeg", "JPEG")],
)
def test_a_variant_renders_in_each_format_at_its_size(mime: str, format_: str) -> None:
    variant = plan(Asked(width=640, mime=mime), HD, "image/jpeg")
    assert variant is not None
    out = opened(render(jpeg(), variant))
    assert (out.format, out.size) == (format_, (640, 360))
    assert not out.info.get("exif")


@pytest.mark.parametrize("mime", ["image/webp", "image/gif", "image/png"])
def test_an_animation_stays_animated_where_the_format_animates(mime: str) -> None:
    variant = plan(Asked(width=100, mime=mime), (200, 100), "image/gif")
    assert variant is not None
    out = opened(render(animated_gif(), variant))
    assert out.size == (100, 50)
    assert getattr(out, "n_frames", 1) == 3


def test_an_animation_keeps_its_frames_in_another_format_at_its_size() -> None:
    variant = plan(Asked(mime="image/webp"), (200, 100), "image/gif")
    assert variant is not None
    out = opened(render(animated_gif(), variant))
    colours = []
    for index in range(3):
        out.seek(index)
        colours.append(out.convert("RGB").getpixel((5, 5)))
    assert len(set(colours)) == 3


def test_another_format_at_the_same_size_renders() -> None:
    out = opened(render(jpeg((64, 48)), Variant(64, 48, False, "image/png", 0)))
    assert (out.format, out.size) == ("PNG", (64, 48))


def test_an_animation_becomes_its_first_frame_in_jpeg() -> None:
    variant = plan(Asked(width=100, mime="image/jpeg"), (200, 100), "image/gif")
    assert variant is not None
    out = opened(render(animated_gif(), variant))
    assert out.format == "JPEG"
    assert getattr(out, "n_frames", 1) == 1


def test_transparency_becomes_white_in_jpeg() -> None:
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    buf = io.BytesIO()
    clear.save(buf, "PNG")
    variant = Variant(32, 32, False, "image/jpeg", 85)
    assert opened(render(buf.getvalue(), variant)).convert("RGB").getpixel((16, 16)) == (
        255,
        255,
        255,
    )


def stored_original(blobs: InMemoryBlobStore) -> str:
    data = jpeg()
    blobs.put("derived/file_A/rendition", io.BytesIO(data), len(data))
    return "derived/file_A/rendition"


def test_a_variant_is_rendered_once_and_stored_beside_the_thumbnail() -> None:
    blobs = InMemoryBlobStore()
    source = stored_original(blobs)
    variants = Variants(blobs)
    variant = Variant(640, 360, False, "image/webp", 80)
    made = variants.get_or_render("file_A", source, variant)
    assert made.key == variant_key("file_A", variant) == "derived/file_A/v/640x360-contain-q80.webp"
    assert made.size == blobs.stat(made.key).size
    blobs.delete(source)  # a second request reads the stored variant, not the source
    assert variants.get_or_render("file_A", source, variant) == made
    assert owner_key(made.key) == "derived/file_A/thumbnail.webp"
    assert owner_key("derived/file_A/thumbnail.webp") is None


def test_a_stored_variant_is_known_without_asking_the_store() -> None:
    blobs = InMemoryBlobStore()
    source = stored_original(blobs)
    variant = Variant(320, 180, False, "image/jpeg", 85)
    first, second = Variants(blobs), Variants(blobs)
    assert first.known("file_A", variant) is None  # not seen yet: the caller asks the store
    made = first.get_or_render("file_A", source, variant)
    assert first.known("file_A", variant) == made
    assert first.known("file_B", variant) is None
    assert second.known("file_A", variant) is None  # another process: learns it by a stat
    assert second.get_or_render("file_A", source, variant) == made
    assert second.known("file_A", variant) == made


def test_the_variants_of_a_file_are_capped() -> None:
    blobs = InMemoryBlobStore()
    source = stored_original(blobs)
    variants = Variants(blobs, per_file=2)
    for width in (100, 200):
        variants.get_or_render(
            "file_A", source, Variant(width, width * 9 // 16, False, "image/jpeg", 85)
        )
    with pytest.raises(InvalidInputError):
        variants.get_or_render("file_A", source, Variant(300, 168, False, "image/jpeg", 85))
    assert (
        variants.get_or_render("file_A", source, Variant(100, 56, False, "image/jpeg", 85)).size > 0
    )


def test_renders_past_the_cap_are_refused_with_a_retry() -> None:
    blobs = InMemoryBlobStore()
    source = stored_original(blobs)
    variants = Variants(blobs, renders=1)
    assert variants._slots.acquire(blocking=False)  # a render in flight
    with pytest.raises(UnavailableError) as refused:
        variants.get_or_render("file_A", source, Variant(100, 56, False, "image/jpeg", 85))
    assert refused.value.retry_after == 1


def test_purge_deletes_every_variant_of_the_file_only() -> None:
    blobs = InMemoryBlobStore()
    source = stored_original(blobs)
    variants = Variants(blobs)
    made = variants.get_or_render("file_A", source, Variant(100, 56, False, "image/png", 0))
    blobs.put("derived/file_B/v/x.png", io.BytesIO(b"x"), 1)
    assert variants.purge("file_A") == [made.key]
    assert list(blobs.keys("derived/file_A/v/")) == []
    assert list(blobs.keys("derived/file_B/v/")) == ["derived/file_B/v/x.png"]


def test_each_variant_has_its_own_etag() -> None:
    one, two = Variant(100, 56, False, "image/png", 0), Variant(200, 112, False, "image/png", 0)
    assert variant_etag("abc", one) != variant_etag("abc", two) != variant_etag("abd", two)


class HeldSource(InMemoryBlobStore):
    """Reading the source waits until the test lets it go; counts the variants written."""

    def __init__(self) -> None:
        super().__init__()
        self.reading, self.go = threading.Event(), threading.Event()
        self.writes = 0

    def read(self, key: str, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        if "/v/" not in key:
            self.reading.set()
            assert self.go.wait(30)
        return super().read(key, *args, **kwargs)

    def put(self, key: str, body: Any, length: int | None = None) -> Any:
        self.writes += "/v/" in key
        return super().put(key, body, length)


def test_concurrent_first_requests_of_one_variant_share_one_render() -> None:
    blobs = HeldSource()
    source = stored_original(blobs)
    variants = Variants(blobs, renders=1)
    variant = Variant(100, 56, False, "image/webp", 80)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(variants.get_or_render, "file_A", source, variant)
        assert blobs.reading.wait(30)
        second = pool.submit(variants.get_or_render, "file_A", source, variant)
        while variants.joined == 0 and not second.done():
            time.sleep(0.001)  # until the second request waits for the first's render
        blobs.go.set()
        assert first.result() == second.result()
    assert blobs.writes == 1
