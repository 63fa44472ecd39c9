"""What every imaging module shares: the refusal (a 415) and the pixel limit of a decode.

Its own module so that sniffing (sniff.py) and decoding (decode.py) both read it without
importing each other.
"""

from __future__ import annotations

from PIL import Image

from pichr.domain.errors import DomainError

MAX_PIXELS = 100_000_000  # decompression-bomb limit: far above any camera, far below a bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class UnsupportedMediaError(DomainError):
    """The bytes are not an image of an accepted type, or not the type declared."""
