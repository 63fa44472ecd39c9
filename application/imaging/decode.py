"""Opening untrusted image bytes with Pillow: only accepted formats, inside the pixel and frame
limits, HEIC/HEIF through pillow-heif. Every failure is an UnsupportedMediaError (a 415).

A JPEG is opened as its first image alone: Pillow opens a Multi-Picture file (a camera's MPO)
as a sequence of "MPO" frames, but the images after the first (the other eye, a depth or gain
map) are no frames of one picture, and they are never served (strip.py drops them).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import IO

import pillow_heif
from PIL import Image, JpegImagePlugin

from pichr.application.imaging.refusal import MAX_PIXELS, UnsupportedMediaError

pillow_heif.register_heif_opener()  # HEIC/HEIF; Pillow decodes AVIF itself

MAX_FRAMES = 1000  # animations longer than this are refused
MAX_ANIMATION_PIXELS = 1_000_000_000  # width x height x frames: a bound on decoding every frame
MIME_BY_FORMAT = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "HEIF": "image/heic",
}
FORMATS = tuple(MIME_BY_FORMAT)


def mime_of(img: Image.Image) -> str:
    return MIME_BY_FORMAT[img.format or ""]


def frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1) or 1)


def check_limits(img: Image.Image) -> None:
    width, height = img.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise UnsupportedMediaError("The image is too large to decode.", pixels=width * height)
    frames = frame_count(img)
    if frames > MAX_FRAMES or width * height * frames > MAX_ANIMATION_PIXELS:
        raise UnsupportedMediaError(
            "The animation has too many frames.", frames=frames, limit=MAX_FRAMES
        )


def _primary(img: Image.Image, stream: IO[bytes]) -> Image.Image:
    """`img`, or for an MPO its first image as a plain JPEG (read from the start of `stream`)."""
    if img.format != "MPO":
        return img
    # Not img.close(): an MPO's close() closes the caller's stream too.
    stream.seek(0)
    return JpegImagePlugin.JpegImageFile(stream)


@contextlib.contextmanager
def open_image(stream: IO[bytes]) -> Iterator[Image.Image]:
    """The opened (not yet decoded) image; decode it inside the `with` block.

    Decompression-bomb warnings are errors here, and so is anything Pillow raises on corrupt
    data, also while the block decodes.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _primary(Image.open(stream, formats=FORMATS), stream) as img:
                check_limits(img)
                yield img
    except UnsupportedMediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsupportedMediaError("The image is too large to decode.", reason=str(exc)) from exc
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise UnsupportedMediaError("The bytes are not a decodable image.") from exc
