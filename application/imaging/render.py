"""Images we make from an upload: the served rendition (when it must be re-encoded) and the
WebP thumbnail. Both start from pixels with the EXIF orientation applied and carry no metadata."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, JpegImagePlugin

from pichr.application.metrics import timed_render

THUMBNAIL_SIZE = 320
THUMBNAIL_MIME = "image/webp"
ORIENTATION = 0x0112
# Formats browsers cannot show are served as JPEG; the others keep their format.
SERVED_AS = {"image/heic": "image/jpeg"}
_KEEP_INFO = ("transparency", "duration", "loop", "background")


def orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(ORIENTATION, 1)
    except Exception:  # a broken EXIF block: treat as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(img: Image.Image) -> Image.Image:
    """The frame with the EXIF orientation applied, and no metadata left in `info`."""
    turned = ImageOps.exif_transpose(img) if orientation(img) != 1 else img.copy()
    icc = img.info.get("icc_profile")
    turned.info = {k: v for k, v in img.info.items() if k in _KEEP_INFO}
    if icc:
        turned.info["icc_profile"] = icc
    return turned


@timed_render("thumbnail")
def thumbnail_webp(frame: Image.Image) -> bytes:
    """`frame`: upright, decoded. A WebP at most THUMBNAIL_SIZE on the long side."""
    alpha = frame.mode in ("RGBA", "LA") or "transparency" in frame.info
    small = frame.convert("RGBA" if alpha else "RGB")
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    buf = io.BytesIO()
    small.save(buf, "WEBP", quality=80, method=4)
    return buf.getvalue()


@timed_render("rendition")
def reencode(img: Image.Image, mime: str) -> tuple[bytes, str]:
    """A metadata-free rendition of the (opened, full-size) image, orientation applied."""
    served = SERVED_AS.get(mime, mime)
    frame = upright(img)
    buf = io.BytesIO()
    icc = frame.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if served == "image/jpeg":
        if mime == "image/jpeg":
            # The source's own tables: as close to lossless as a re-encode gets.
            extra["qtables"] = getattr(img, "quantization", None)
            extra["subsampling"] = JpegImagePlugin.get_sampling(img)
        else:
            extra["quality"] = 90
        if frame.mode not in ("RGB", "L", "CMYK"):
            frame = frame.convert("RGB")
        frame.save(buf, "JPEG", **extra)
    elif served == "image/png":
        frame.save(buf, "PNG", **extra)
    elif served == "image/webp":
        frame.save(buf, "WEBP", quality=90, **extra)
    elif served == "image/avif":
        frame.save(buf, "AVIF", quality=85, **extra)
    else:
        raise ValueError(f"no re-encoder for {mime}")
    return buf.getvalue(), served
