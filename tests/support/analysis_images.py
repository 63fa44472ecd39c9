"""Images in every accepted format, with and without metadata, for the analysis tests."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

from tests.support.photos import photo

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
    "image/heic": "HEIF",
}


def exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (59.0, 20.0, 1.5), 3: "E", 4: (18.0, 3.0, 7.0)})
    return exif.tobytes()


def encoded(
    mime: str, size: tuple[int, int] = (400, 300), seed: int = 0, **params: object
) -> bytes:
    img = photo(size, seed)
    buf = io.BytesIO()
    fmt = FORMATS[mime]
    if fmt == "GIF":
        frames = [img.convert("P"), photo(size, seed + 1).convert("P")]
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50, **params)
    else:
        img.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg_with_gps(orientation: int = 1, size: tuple[int, int] = (400, 300)) -> bytes:
    return encoded("image/jpeg", size, exif=exif_with_gps(orientation), comment=b"secret note")


def many_frames_gif(frames: int, size: tuple[int, int] = (8, 8)) -> bytes:
    images = []
    for n in range(frames):
        frame = Image.new("P", size, 0)
        frame.putpixel((n % size[0], (n // size[0]) % size[1]), 1 + n % 200)
        images.append(frame)
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=10)
    return buf.getvalue()


def metadata_of(data: bytes) -> dict[str, object]:
    """Whatever Pillow finds that could identify a person: EXIF tags, GPS, XMP, text, comments."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        found: dict[str, object] = {k: v for k, v in exif.items() if k != ORIENTATION}
        if exif.get_ifd(GPS_IFD):
            found["gps"] = dict(exif.get_ifd(GPS_IFD))
        for key in ("xmp", "XML:com.adobe.xmp", "comment", "exif", "photoshop", "Comment"):
            if img.info.get(key):
                found[key] = img.info[key]
        found.update(getattr(img, "text", {}) or {})
    return found
