"""Lossless metadata stripping at the container level: the pixels' bytes are copied untouched.

Each stripper keeps what decoding and colour need and drops EXIF, GPS, XMP, IPTC, comments and
text, and anything after the format's end marker (where polyglot payloads hide).

A JPEG is its first image, up to that image's EOI: what phones append after it (the gain map or
second image of MPF, the video of a Motion Photo, a vendor's trailer) is dropped and never
served; the stored original keeps it, as evidence only. Other formats with data after their
end are refused: no camera writes them, polyglots do.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from pichr.application.imaging.sniff import UnsupportedMediaError

_ENTROPY_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # the next marker after scan data


def _corrupt(kind: str) -> UnsupportedMediaError:
    return UnsupportedMediaError(f"The {kind} data is truncated or corrupt.")


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xE0:
        return payload.startswith(b"JFIF\0") and len(payload) <= 14  # no embedded thumbnail
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\0")
    if marker == 0xEE:
        return payload.startswith(b"Adobe")  # colour transform flag for CMYK/YCCK
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)  # other APPn and comments go


def strip_jpeg(data: bytes) -> tuple[bytes, int]:
    if not data.startswith(b"\xff\xd8"):
        raise _corrupt("JPEG")
    out, i, n = [b"\xff\xd8"], 2, len(data)
    while i + 1 < n:
        if data[i] != 0xFF:
            raise _corrupt("JPEG")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            return b"".join(out), i + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            out.append(data[i : i + 2])
            i += 2
            continue
        if i + 4 > n:
            raise _corrupt("JPEG")
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        end = i + 2 + length
        if length < 2 or end > n:
            raise _corrupt("JPEG")
        if _keep_jpeg_segment(marker, data[i + 4 : end]):
            out.append(data[i:end])
        i = end
        if marker == 0xDA:  # scan data runs to the next real marker
            found = _ENTROPY_END.search(data, i)
            if found is None:
                raise _corrupt("JPEG")
            out.append(data[i : found.start()])
            i = found.start()
    raise _corrupt("JPEG")


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_ANCILLARY_KEPT = {
    b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"tRNS",
    b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip


def strip_png(data: bytes) -> tuple[bytes, int]:
    if not data.startswith(_PNG_SIGNATURE):
        raise _corrupt("PNG")
    out, i, n = [_PNG_SIGNATURE], 8, len(data)
    while i + 12 <= n:
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        end = i + 12 + length
        if end > n:
            break
        critical = kind[:1].isupper()
        if critical or kind in _PNG_ANCILLARY_KEPT:
            out.append(data[i:end])
        if kind == b"IEND":
            return b"".join(out), end
        i = end
    raise _corrupt("PNG")


_GIF_APPS_KEPT = (b"NETSCAPE2.0", b"ANIMEXTS1.0")  # loop count; nothing personal


def _gif_sub_blocks(data: bytes, i: int) -> int:
    """The index after the sub-block chain starting at i."""
    while True:
        if i >= len(data):
            raise _corrupt("GIF")
        size = data[i]
        i += 1 + size
        if size == 0:
            return i


def _colour_table_size(packed: int) -> int:
    return 3 * (2 << (packed & 7)) if packed & 0x80 else 0


def strip_gif(data: bytes) -> tuple[bytes, int]:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise _corrupt("GIF")
    i = 13 + _colour_table_size(data[10])
    out = [data[:i]]
    while i < len(data):
        kind = data[i]
        if kind == 0x3B:
            out.append(b"\x3b")
            return b"".join(out), i + 1
        if kind == 0x2C:
            if i + 10 > len(data):
                raise _corrupt("GIF")
            start = i + 10 + _colour_table_size(data[i + 9]) + 1  # + LZW minimum code size
            end = _gif_sub_blocks(data, start)
            out.append(data[i:end])
        elif kind == 0x21 and i + 2 < len(data):
            label, end = data[i + 1], _gif_sub_blocks(data, i + 2)
            app = data[i + 3 : i + 14] if label == 0xFF else b""
            if label in (0xF9, 0x01) or app in _GIF_APPS_KEPT:
                out.append(data[i:end])
        else:
            raise _corrupt("GIF")
        i = end
    raise _corrupt("GIF")


def strip_webp(data: bytes) -> tuple[bytes, int]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _corrupt("WebP")
    riff_end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks, i = [], 12
    while i + 8 <= riff_end:
        kind, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        end = i + 8 + size + (size & 1)
        if end > riff_end + (size & 1):
            raise _corrupt("WebP")
        chunk = data[i:end]
        if kind == b"VP8X" and size >= 10:
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C & 0xFF]) + chunk[9:]  # no EXIF/XMP flags
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        i = end
    if not chunks:
        raise _corrupt("WebP")
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body, riff_end


_PADDING = b"\0\r\n\t \xff"


def strip(data: bytes, mime: str) -> bytes:
    """The image without its metadata. A JPEG ends at its first image's EOI, whatever follows;
    other formats are refused when other data follows the image's end (a polyglot: an image
    that is also an archive, a script or a page). Padding is tolerated."""
    stripped, end = STRIPPERS[mime](data)
    if mime in TRAILER_DROPPED:
        return stripped
    if data[end:].strip(_PADDING):
        raise UnsupportedMediaError(
            "The file carries other data after the image.", trailingBytes=len(data) - end
        )
    return stripped


# Formats whose data after the image is dropped rather than refused (see the module docstring).
TRAILER_DROPPED = frozenset({"image/jpeg"})

STRIPPERS: dict[str, Callable[[bytes], tuple[bytes, int]]] = {
    "image/jpeg": strip_jpeg,
    "image/png": strip_png,
    "image/gif": strip_gif,
    "image/webp": strip_webp,
}
