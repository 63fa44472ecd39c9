"""The variant part of /i/{id}: the extension, and the parameters Litestar's types let through."""

from __future__ import annotations

import pytest

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
