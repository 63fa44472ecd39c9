"""The variant part of /i/{id}: the extension, and the parameters Litestar's types let through."""

from __future__ import annotations

import pytest

from pichr.api.wire import variants as wire
from pichr.api.wire.variants import asked, split_extension
from pichr.application.imaging.variant_spec import Asked
from pichr.domain.errors import InvalidInputError


def test_the_extension_is_split_off_the_id() -> None:
    assert split_extension("file_AbC.WEBP") == ("file_AbC", "webp")
    assert split_extension("file_AbC") == ("file_AbC", None)


def test_the_extension_and_format_name_the_same_type() -> None:
    assert asked([], "jpg") == Asked(mime="image/jpeg")
    assert asked([("format", "webp")], "webp", fmt="webp") == Asked(mime="image/webp")
    assert asked([("w", "64")], None, w=64) == Asked(width=64)
    assert not asked([], None).anything


@pytest.mark.parametrize(
    ("query", "extension", "fmt"),
    [
        ([("width", "64")], None, None),  # unknown parameter
        ([("w", "64"), ("w", "65")], None, None),  # given twice
        ([], "bmp", None),  # not a type we render
        ([], "", None),  # `file_X.`
        ([("format", "png")], "webp", "png"),  # they disagree
    ],
)
def test_what_the_types_let_through_is_still_refused(
    query: list[tuple[str, str]], extension: str | None, fmt: str | None
) -> None:
    with pytest.raises(InvalidInputError):
        asked(query, extension, fmt=fmt)


@pytest.mark.parametrize(
    ("query", "extension", "expected"),
    [
        (b"w=320", None, Asked(width=320, height=None, fit="contain", mime=None, quality=None)),
        (b"w=640&format=webp&q=70", None, Asked(640, None, "contain", "image/webp", 70)),
        (b"h=100&fit=cover", "png", Asked(None, 100, "cover", "image/png", None)),
        (b"", "webp", Asked(None, None, "contain", "image/webp", None)),
    ],
)
def test_the_plain_spelling_is_read_without_the_framework(
    query: bytes, extension: str | None, expected: Asked
) -> None:
    assert wire.fast_asked(query, extension) == expected


@pytest.mark.parametrize(
    "query",
    [b"w=0", b"w=05", b"w=+5", b"w=4097", b"w=", b"w", b"w=1&w=2", b"x=1", b"fit=fill",
     b"format=gif", b"q=101", b"w=%33", b"w=3&", b"format=jpeg"],
)  # fmt: skip
def test_any_other_spelling_is_left_to_the_handler(query: bytes) -> None:
    extension = "webp" if query == b"format=jpeg" else None  # disagreeing: the handler's 400
    assert wire.fast_asked(query, extension) is None
