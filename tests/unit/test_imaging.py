"""What the bytes are: magic-number sniffing and the Pillow decode check."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest

from pichr.application.imaging.sniff import (
    MAX_PIXELS,
    UnsupportedMediaError,
    inspect_image,
    normalize_mime,
    sniff_mime,
)
from tests.support.builders import image_bytes


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "image/avif"),
        (b"\x00\x00\x00\x1cftypavis\x00\x00\x00\x00", "image/avif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
    ],
)
def test_each_magic_number_is_recognized(head: bytes, mime: str) -> None:
    assert sniff_mime(head) == mime


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff\xd8",  # too short to be a JPEG marker
        b"%PDF-1.7",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",  # ISO media, but video
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"BM\x36\x00",  # BMP is not accepted
        b"GIF90a",
    ],
)
def test_anything_else_is_not_an_accepted_image(head: bytes) -> None:
    assert sniff_mime(head) is None


@pytest.mark.parametrize(
    ("declared", "normal"),
    [
        ("image/jpg", "image/jpeg"),
        ("IMAGE/PJPEG", "image/jpeg"),
        ("image/png; charset=x", "image/png"),
        ("image/heif", "image/heic"),
        (" image/webp ", "image/webp"),
    ],
)
def test_declared_mime_is_normalized(declared: str, normal: str) -> None:
    assert normalize_mime(declared) == normal


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_real_images_report_type_and_dimensions(fmt: str, mime: str) -> None:
    data = image_bytes(fmt, (123, 45))
    assert sniff_mime(data[:32]) == mime
    facts = inspect_image(io.BytesIO(data), mime)
    assert (facts.mime, facts.width, facts.height) == (mime, 123, 45)


def test_large_jpeg_decodes_with_full_dimensions() -> None:
    facts = inspect_image(io.BytesIO(image_bytes("JPEG", (1920, 1080))), "image/jpeg")
    assert (facts.width, facts.height) == (1920, 1080)


def test_truncated_jpeg_is_unsupported_media() -> None:
    data = image_bytes("JPEG", (256, 256), seed=3)
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(data[: len(data) // 2]), "image/jpeg")


def test_random_bytes_are_unsupported_media() -> None:
    noise = os.urandom(4096)
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(noise), "image/jpeg")


def test_jpeg_magic_followed_by_garbage_is_unsupported_media() -> None:
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(b"\xff\xd8\xff\xe0" + os.urandom(2048)), "image/jpeg")


def test_real_image_of_another_type_than_expected_is_unsupported_media() -> None:
    with pytest.raises(UnsupportedMediaError):
        inspect_image(io.BytesIO(image_bytes("PNG")), "image/jpeg")


def png_claiming(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims other dimensions (a decompression bomb's shape)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize("factor", [1.5, 4])
def test_decompression_bomb_is_refused_before_decoding(factor: float) -> None:
    side = int((MAX_PIXELS * factor) ** 0.5) + 1
    with pytest.raises(UnsupportedMediaError) as raised:
        inspect_image(io.BytesIO(png_claiming(side, side)), "image/png")
    assert "too large" in raised.value.message


def test_heic_that_pillow_cannot_open_is_unsupported_media_naming_the_type() -> None:
    head = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64
    with pytest.raises(UnsupportedMediaError) as raised:
        inspect_image(io.BytesIO(head), "image/heic")
    assert raised.value.details == {"mime": "image/heic"}
