"""Image analysis: from the uploaded bytes to everything ImageAnalyzed records.

One decode of the first frame (JPEG at reduced size through draft(): the thumbnail, the NSFW
input and the perceptual hash need no more than 320 px) feeds the hash, the thumbnail and the
model. The served rendition is the original with its metadata stripped at the container level
(lossless) when it is upright, else a re-encode with the orientation applied.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import imagehash

from pichr.application.imaging.decode import frame_count, mime_of, open_image
from pichr.application.imaging.nsfw import Tensor, preprocess
from pichr.application.imaging.render import (
    THUMBNAIL_SIZE,
    orientation,
    reencode,
    thumbnail_webp,
    upright,
)
from pichr.application.imaging.strip import STRIPPERS, strip

MODEL_INPUT = 256  # the NSFW model resizes to 256x256 first
Scorer = Callable[[list[Tensor]], list[float]]


@dataclass(frozen=True, slots=True)
class Derived:
    """Facts of the first frame, before the model has scored it."""

    mime: str
    width: int  # as displayed: orientation applied
    height: int
    frames: int
    phash: str
    thumbnail: bytes
    model_input: Tensor


@dataclass(frozen=True, slots=True)
class Analysis:
    derived: Derived
    nsfw_score: float
    rendition: bytes
    rendition_mime: str

    @property
    def rendition_sha256(self) -> str:
        return hashlib.sha256(self.rendition).hexdigest()


def draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The smallest decode that still gives a full thumbnail and a full-size model input."""
    width, height = size
    scale = min(1.0, max(THUMBNAIL_SIZE / max(width, height), MODEL_INPUT / min(width, height)))
    return max(1, round(width * scale)), max(1, round(height * scale))


class Deriving:
    """One decode of the first frame (raises UnsupportedMediaError), then what is made from it,
    each on first use: a caller may start storing the thumbnail, or looking up the hash,
    before the model input is made."""

    def __init__(self, data: bytes) -> None:
        with open_image(io.BytesIO(data)) as img:
            self.mime, self.frames = mime_of(img), frame_count(img)
            turn = orientation(img)
            self.size: tuple[int, int] = img.size  # as stored, before the orientation
            width, height = img.size
            if img.format == "JPEG":
                img.draft("RGB", draft_size(img.size))
            img.load()
            self._frame = upright(img)
        self.width, self.height = (height, width) if turn in (5, 6, 7, 8) else (width, height)

    @property
    def frame_bytes(self) -> int:
        """Memory the decoded frame holds."""
        return self._frame.width * self._frame.height * len(self._frame.getbands())

    @functools.cached_property
    def thumbnail(self) -> bytes:
        return thumbnail_webp(self._frame)

    @functools.cached_property
    def phash(self) -> str:
        return str(imagehash.phash(self._frame))

    def result(self) -> Derived:
        return Derived(
            mime=self.mime,
            width=self.width,
            height=self.height,
            frames=self.frames,
            phash=self.phash,
            thumbnail=self.thumbnail,
            model_input=preprocess(self._frame),
        )


def derive(data: bytes) -> Derived:
    """Decode the first frame once; hash, thumbnail and model input from it."""
    return Deriving(data).result()


def rendition(data: bytes) -> tuple[bytes, str]:
    """The bytes to serve: stripped losslessly when upright (and always for animations)."""
    with open_image(io.BytesIO(data)) as img:
        mime = mime_of(img)
        upright_already = orientation(img) == 1 or frame_count(img) > 1
        if mime not in STRIPPERS:
            img.load()
            return reencode(img, mime)
    stripped = strip(data, mime)  # also refuses polyglots
    if upright_already:
        return stripped, mime
    with open_image(io.BytesIO(data)) as img:  # the original: its EXIF says how to turn it
        img.load()
        return reencode(img, mime)


def analyze(data: bytes, score: Scorer) -> Analysis:
    derived = derive(data)
    served, mime = rendition(data)
    (nsfw,) = score([derived.model_input])
    return Analysis(derived, nsfw, served, mime)
