"""What the bytes are: type sniffing from magic numbers, and a decode check with Pillow."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image

from domain.errors import DomainError

MAX_PIXELS = 100_000_000  # decompression-bomb limit: far above any camera, far below a bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}
_PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
_AVIF_BRANDS = {b"avif", b"avis"}


class UnsupportedMediaError(DomainError):
    """The bytes are not an image of an accepted type, or not the type declared."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    mime: str
    width: int
    height: int


def normalize_mime(mime: str) -> str:
    base = mime.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def sniff_mime(head: bytes) -> str | None:
    """The image type the first bytes announce, or None when they are no accepted image."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "image/avif"
        if brand in _HEIF_BRANDS:
            return "image/heic"
    return None


def inspect_image(stream: IO[bytes], expected_mime: str) -> ImageFacts:
    """Decode the image (inside the bomb limit) and report its type and dimensions."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                width, height = img.size
                mime = _PIL_FORMATS.get(img.format or "", expected_mime)
                if img.format == "JPEG":
                    img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsupportedMediaError("The image is too large to decode.", reason=str(exc)) from exc
    except Exception as exc:  # Pillow raises many types for corrupt data
        if expected_mime in ("image/avif", "image/heic") and "cannot identify" in str(exc):
            raise UnsupportedMediaError(
                "This server cannot decode this image type yet.", mime=expected_mime
            ) from exc
        raise UnsupportedMediaError("The bytes are not a decodable image.") from exc
    if mime != expected_mime:
        raise UnsupportedMediaError("The bytes do not match the declared type.", mime=mime)
    return ImageFacts(mime=mime, width=width, height=height)
