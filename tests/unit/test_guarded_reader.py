"""The upload guard: size, type and sha256 are checked while the body streams."""

from __future__ import annotations

import hashlib
import io

import pytest

from pichr.application.uploads.guarded import GuardedReader, SniffFailedError, TooLargeError
from tests.support.builders import image_bytes

CHUNK = 64 * 1024


class EndlessBody:
    """A body that never ends (like a client that lies about its size); counts what was read."""

    def __init__(self, head: bytes) -> None:
        self._head = head
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        n = CHUNK if size < 0 else min(size, CHUNK)
        chunk = (self._head + b"\0" * n)[:n] if self.consumed == 0 else b"\0" * n
        self.consumed += len(chunk)
        return chunk


def drain(reader: GuardedReader, size: int = CHUNK) -> bytes:
    out = bytearray()
    while chunk := reader.read(size):
        out += chunk
    return bytes(out)


def test_body_within_limit_is_passed_through_with_size_sha256_and_type() -> None:
    data = image_bytes("JPEG", (64, 48))
    reader = GuardedReader(io.BytesIO(data), limit=len(data), declared_mime="image/jpeg")
    assert drain(reader, 7) == data
    assert reader.size == len(data)
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    assert reader.mime == "image/jpeg"


def test_declared_alias_is_normalized_before_comparing() -> None:
    data = image_bytes("JPEG")
    reader = GuardedReader(io.BytesIO(data), limit=len(data), declared_mime="image/JPG; q=1")
    drain(reader)
    assert reader.mime == "image/jpeg"


def test_body_longer_than_the_limit_fails_while_streaming() -> None:
    body = EndlessBody(b"\xff\xd8\xff\xe0" + b"\0" * 28)
    reader = GuardedReader(body, limit=1_000_000, declared_mime="image/jpeg")
    with pytest.raises(TooLargeError) as raised:
        drain(reader)
    # Refused at the first chunk past the limit, not after reading (an endless) body.
    assert body.consumed <= 1_000_000 + CHUNK
    assert raised.value.details["limit"] == 1_000_000


def test_body_one_byte_too_long_is_too_large() -> None:
    data = image_bytes("PNG")
    reader = GuardedReader(io.BytesIO(data), limit=len(data) - 1, declared_mime="image/png")
    with pytest.raises(TooLargeError):
        drain(reader)


def test_non_image_fails_at_the_first_bytes_not_at_the_end() -> None:
    body = EndlessBody(b"%PDF-1.7\n" + b"x" * 40)
    reader = GuardedReader(body, limit=10**9, declared_mime="image/jpeg")
    with pytest.raises(SniffFailedError):
        drain(reader)
    assert body.consumed == CHUNK


def test_png_bytes_declared_as_jpeg_fail_the_sniff() -> None:
    data = image_bytes("PNG")
    reader = GuardedReader(io.BytesIO(data), limit=len(data), declared_mime="image/jpeg")
    with pytest.raises(SniffFailedError) as raised:
        drain(reader)
    assert raised.value.details == {"declared": "image/jpeg", "actual": "image/png"}


def test_head_split_over_tiny_reads_is_still_sniffed() -> None:
    data = image_bytes("GIF")
    reader = GuardedReader(io.BytesIO(data), limit=len(data), declared_mime="image/gif")
    assert drain(reader, 1) == data
    assert reader.mime == "image/gif"


@pytest.mark.parametrize(
    ("body", "declared"),
    [(b"hello", "image/png"), (b"\x89PNG\r\n\x1a\n", "image/jpeg"), (b"GIF89a", "image/webp")],
)
def test_body_shorter_than_the_sniff_window_is_checked_at_the_end(
    body: bytes, declared: str
) -> None:
    reader = GuardedReader(io.BytesIO(body), limit=100, declared_mime=declared)
    with pytest.raises(SniffFailedError):
        drain(reader)


def test_short_body_of_the_declared_type_passes_the_sniff() -> None:
    reader = GuardedReader(io.BytesIO(b"\x89PNG\r\n\x1a\n"), limit=100, declared_mime="image/png")
    drain(reader)
    assert reader.mime == "image/png"
    assert reader.size == 8
