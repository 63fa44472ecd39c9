"""What the bytes are: type sniffing from magic numbers, and a decode check with Pillow."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from pichr.application.imaging.refusal import MAX_PIXELS, UnsupportedMediaError

# The refusal and the limit live in refusal.py; importers of this module keep finding them here.
__all__ = [
    "ACCEPTED",
    "MAX_PIXELS",
    "ImageFacts",
    "UnsupportedMediaError",
    "accepted_mime",
    "check_declared",
    "declared_type_errors",
    "inspect_image",
    "normalize_mime",
    "sniff_mime",
]
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}
# What sniff_mime can recognise: a declared type outside it could never be stored.
ACCEPTED = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic")
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
_AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True, slots=True)
class ImageFacts:
    mime: str
    width: int
    height: int


def normalize_mime(mime: str) -> str:
    base = mime.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def accepted_mime(mime: str) -> str:
    """The declared type in its normal form; 415 when no bytes of that type are accepted."""
    normal = normalize_mime(mime)
    if normal not in ACCEPTED:
        raise UnsupportedMediaError(
            "Only JPEG, PNG, GIF, WebP, AVIF and HEIC/HEIF images are accepted.",
            field="mime",
            mime=normal,
            accepted=list(ACCEPTED),
        )
    return normal


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
    """Decode the image (inside the pixel and frame limits) and report its type and dimensions."""
    # Not a cycle (decode.py imports refusal.py, not this module): decode loads pillow-heif,
    # ~20 ms that a `pichr` command which only sniffs or names the error need not pay.
    from pichr.application.imaging.decode import mime_of, open_image  # noqa: PLC0415

    with declared_type_errors(expected_mime), open_image(stream) as img:
        width, height = img.size
        mime = mime_of(img)
        if img.format == "JPEG":
            img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        img.load()
    check_declared(mime, expected_mime)
    return ImageFacts(mime=mime, width=width, height=height)


@contextlib.contextmanager
def declared_type_errors(expected_mime: str) -> Iterator[None]:
    """Decode errors of an AVIF or HEIC name the declared type (Pillow often cannot tell)."""
    try:
        yield
    except UnsupportedMediaError as exc:
        if expected_mime in ("image/avif", "image/heic") and not exc.details:
            raise UnsupportedMediaError(
                "The bytes are not a decodable image of this type.", mime=expected_mime
            ) from exc
        raise


def check_declared(mime: str, expected_mime: str) -> None:
    if mime != expected_mime:
        raise UnsupportedMediaError("The bytes do not match the declared type.", mime=mime)
