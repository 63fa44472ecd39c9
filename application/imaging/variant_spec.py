"""What a variant request asks for, and the one variant it names once the original's size and
type are known: sizes never above the original's, defaults filled in, so that every spelling
of the same output (`?w=5000`, `?w=1920` of a 1920 px image) names the same blob."""

from __future__ import annotations

from dataclasses import dataclass

from pichr.domain.errors import InvalidInputError

MAX_SIDE = 4096
# Formats a variant is rendered in (GIF only as an original's own type).
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/avif": "avif"}
RENDERED = {**EXTENSION, "image/gif": "gif"}
ANIMATES = frozenset({"image/gif", "image/png", "image/webp", "image/avif"})
DEFAULT_QUALITY = {"image/jpeg": 85, "image/webp": 80, "image/avif": 60}
FITS = ("contain", "cover")


@dataclass(frozen=True, slots=True)
class Asked:
    """A request's parameters, checked one by one (api/wire/variants.py); None: not given."""

    width: int | None = None
    height: int | None = None
    fit: str = "contain"
    mime: str | None = None  # from `format` or the extension
    quality: int | None = None

    @property
    def anything(self) -> bool:
        return self != Asked()


@dataclass(frozen=True, slots=True)
class Variant:
    """One rendered output: `width` x `height` exactly (a cover crops to it)."""

    width: int
    height: int
    crop: bool  # cover: scaled to fill, then centre-cropped
    mime: str
    quality: int  # 0 where the format has none (PNG, GIF)

    @property
    def name(self) -> str:
        """Its blob name beside the thumbnail (application/files/variants.py)."""
        fit = "cover" if self.crop else "contain"
        return f"{self.width}x{self.height}-{fit}-q{self.quality}.{RENDERED[self.mime]}"


def plan(asked: Asked, size: tuple[int, int], mime: str) -> Variant | None:
    """The variant `asked` names of an original `size` (upright) of type `mime`; None when it
    is the original itself."""
    target = asked.mime or mime
    if target not in RENDERED or (target == "image/gif" and mime != "image/gif"):
        raise InvalidInputError(
            f"Images are not rendered as {target}; ask for jpeg, png, webp or avif.",
            format=target,
        )
    width, height, crop = _box(asked, size)
    quality = asked.quality or DEFAULT_QUALITY.get(target, 0)
    quality = quality if target in DEFAULT_QUALITY else 0
    same = (width, height) == size and target == mime
    if same and asked.quality is None:
        return None
    return Variant(width, height, crop, target, quality)


def _box(asked: Asked, size: tuple[int, int]) -> tuple[int, int, bool]:
    width, height = size
    if asked.fit == "cover" and asked.width and asked.height:
        box = min(asked.width, width), min(asked.height, height)
        scale = max(box[0] / width, box[1] / height)
        scaled = max(1, round(width * scale)), max(1, round(height * scale))
        return box[0], box[1], box != scaled
    scale = min(1.0, (asked.width or width) / width, (asked.height or height) / height)
    return max(1, round(width * scale)), max(1, round(height * scale)), False


def scaled_for_cover(variant: Variant, size: tuple[int, int]) -> tuple[int, int]:
    """The size a cover scales the original to before its centre crop."""
    scale = max(variant.width / size[0], variant.height / size[1])
    return max(variant.width, round(size[0] * scale)), max(variant.height, round(size[1] * scale))
