"""Image analysis: from the uploaded bytes to everything ImageAnalyzed records.

One decode of the first frame (JPEG at reduced size through draft(): the thumbnail, the NSFW
input and the perceptual hash need no more than 320 px) feeds the hash, the thumbnail and the
model. The served rendition is the original with its metadata stripped at the container level
(lossless) when it is upright, else a re-encode with the orientation applied.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import imagehash

from application.analysis_decode import frame_count, mime_of, open_image
from application.analysis_render import (
    THUMBNAIL_SIZE,
    orientation,
    reencode,
    thumbnail_webp,
    upright,
)
from application.analysis_strip import STRIPPERS, strip
from application.nsfw import Tensor, preprocess

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


def derive(data: bytes) -> Derived:
    """Decode the first frame once; hash, thumbnail and model input from it."""
    with open_image(io.BytesIO(data)) as img:
        mime, frames = mime_of(img), frame_count(img)
        turn = orientation(img)
        width, height = img.size
        if img.format == "JPEG":
            img.draft("RGB", draft_size(img.size))
        img.load()
        frame = upright(img)
    if turn in (5, 6, 7, 8):
        width, height = height, width
    return Derived(
        mime=mime,
        width=width,
        height=height,
        frames=frames,
        phash=str(imagehash.phash(frame)),
        thumbnail=thumbnail_webp(frame),
        model_input=preprocess(frame),
    )


def rendition(data: bytes, derived: Derived) -> tuple[bytes, str]:
    """The bytes to serve: stripped losslessly when upright (and always for animations)."""
    with open_image(io.BytesIO(data)) as img:
        upright_already = orientation(img) == 1 or derived.frames > 1
        if derived.mime not in STRIPPERS:
            img.load()
            return reencode(img, derived.mime)
    stripped = strip(data, derived.mime)  # also refuses polyglots
    if upright_already:
        return stripped, derived.mime
    with open_image(io.BytesIO(data)) as img:  # the original: its EXIF says how to turn it
        img.load()
        return reencode(img, derived.mime)


def analyze(data: bytes, score: Scorer) -> Analysis:
    derived = derive(data)
    served, mime = rendition(data, derived)
    (nsfw,) = score([derived.model_input])
    return Analysis(derived, nsfw, served, mime)
