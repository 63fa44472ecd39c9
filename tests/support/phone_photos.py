"""Photos as phones write them: a primary JPEG (with EXIF GPS and XMP) followed by more data.

- `mpo()`: a Multi-Picture file as Pillow writes it (format="MPO"): the MPF APP2 segment in the
  primary, the second image right after the primary's EOI (camera MPO, Ultra HDR gain map).
- `ultra_hdr()`: the same layout, the primary's XMP naming an hdrgm gain map.
- `motion_photo()`: the primary, its XMP naming the video's offset, then an MP4 (ftyp, mdat).
- `with_vendor_trailer()`: the primary, then a Samsung-style SEFH ... SEFT trailer.

Each returns (file bytes, primary bytes): the primary is exactly what precedes the extra data.
"""

from __future__ import annotations

import io
import struct

from PIL import Image

from tests.support.analysis_images import exif_with_gps
from tests.support.photos import photo

SCRIPT = b"<html><script>alert(document.cookie)</script></html>"
_HDRGM_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" '
    b'hdrgm:Version="1.0"/></rdf:RDF></x:xmpmeta>'
)


def _motion_xmp(video_length: int) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
        b'rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"'
        b' GCamera:MotionPhoto="1" GCamera:MicroVideo="1" GCamera:MicroVideoOffset="'
        + str(video_length).encode()
        + b'"/></rdf:RDF></x:xmpmeta>'
    )


def primary_jpeg(
    size: tuple[int, int] = (400, 300), *, orientation: int = 1, xmp: bytes = b""
) -> bytes:
    buf = io.BytesIO()
    extra: dict[str, object] = {"xmp": xmp} if xmp else {}
    photo(size, 5).save(buf, "JPEG", exif=exif_with_gps(orientation), **extra)
    return buf.getvalue()


def _mpf_split(data: bytes) -> tuple[bytes, bytes]:
    """(file, primary): Pillow's MPO, whose second image starts at the second SOI+APP marker."""
    second = data.index(b"\xff\xd8\xff", 2)
    return data, data[:second]


def mpo(size: tuple[int, int] = (400, 300), *, orientation: int = 1) -> tuple[bytes, bytes]:
    buf = io.BytesIO()
    other = photo((size[0] // 2, size[1] // 2), 9)
    photo(size, 5).save(
        buf, "MPO", save_all=True, append_images=[other], exif=exif_with_gps(orientation)
    )
    return _mpf_split(buf.getvalue())


def ultra_hdr(size: tuple[int, int] = (400, 300)) -> tuple[bytes, bytes]:
    buf = io.BytesIO()
    gain_map = Image.new("L", (size[0] // 4, size[1] // 4), 128)
    photo(size, 5).save(
        buf, "MPO", save_all=True, append_images=[gain_map], exif=exif_with_gps(), xmp=_HDRGM_XMP
    )
    return _mpf_split(buf.getvalue())


def mp4(payload: bytes = b"\x00" * 2048) -> bytes:
    ftyp = b"mp42" + struct.pack(">I", 0) + b"isommp42"
    boxes = [(b"ftyp", ftyp), (b"moov", b""), (b"mdat", payload)]
    return b"".join(struct.pack(">I", 8 + len(body)) + kind + body for kind, body in boxes)


def motion_photo(size: tuple[int, int] = (400, 300), video: bytes = b"") -> tuple[bytes, bytes]:
    video = video or mp4()
    primary = primary_jpeg(size, xmp=_motion_xmp(len(video)))
    return primary + video, primary


def with_vendor_trailer(
    size: tuple[int, int] = (400, 300), payload: bytes = b"Image_UTC_Data1700000000000"
) -> tuple[bytes, bytes]:
    primary = primary_jpeg(size)
    trailer = b"\x00\x00SEFH" + struct.pack("<I", len(payload)) + payload + b"SEFT"
    return primary + trailer, primary
