"""Hostile values at the boundary, one check per kind: JSON text holding a NUL, byte ranges of
thousands of digits, forged cursors, a declared type no image has, a key that never expires."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from litestar import Controller, Litestar, get, patch
from litestar.testing import TestClient

from pichr.api.errors import status_of
from pichr.api.middleware.json_body import nul_at
from pichr.api.routes.options import answer_all_methods
from pichr.api.routes.served import parse_range
from pichr.application.imaging.sniff import ACCEPTED, UnsupportedMediaError
from pichr.application.uploads.commands import UploadRequest
from pichr.domain import ids
from pichr.domain.errors import InvalidInputError, RangeNotSatisfiableError
from pichr.projections.queries.cursor import decode_cursor, encode_cursor
from pichr.scripts.cli import main as cli


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"tags": ["ok", "t\x00"]}, "tags[1]"),
        ({"parts": [{"etag": "x", "n": {"deep": "\x00"}}]}, "parts[0].n.deep"),
        ({"bad\x00key": 1}, "bad\x00key"),
        ("\x00", "body"),
        ({"title": "fine", "tags": ["a"], "n": 1, "x": None}, None),
    ],
)
def test_nul_is_found_wherever_the_json_holds_it(value: Any, where: str | None) -> None:
    assert nul_at(value) == where


def test_nul_search_survives_the_deepest_json_msgspec_decodes() -> None:
    deep: Any = "\x00"
    for _ in range(5000):
        deep = [deep]
    assert nul_at(deep) == "[0]" * 5000


DIGITS = "9" * 5000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"bytes=-{DIGITS}", (0, 99)),  # a suffix longer than the file: all of it
        (f"bytes=0-{DIGITS}", (0, 99)),  # an end past the file: up to its end
        (f"bytes=10-{DIGITS}", (10, 99)),
        (f"bytes={'0' * 5000}5-9", (5, 9)),  # leading zeros are still a small number
        ("bytes=5-9", (5, 9)),
        ("bytes=0-1,3-4", None),  # several ranges: served whole
    ],
)
def test_ranges_of_thousands_of_digits_are_parsed(
    header: str, expected: tuple[int, int] | None
) -> None:
    assert parse_range(header, 100) == expected


def test_a_range_starting_past_every_end_is_a_416() -> None:
    with pytest.raises(RangeNotSatisfiableError) as caught:
        parse_range(f"bytes={DIGITS}-", 100)
    assert status_of(caught.value) == 416


def _forged(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


FILE_ID = ids.to_public(ids.FILE, ids.new_uuid())


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        (_forged("views", "desc", True, FILE_ID), "views"),  # bool is an int to Python only
        (_forged("views", "desc", 10**30, FILE_ID), "views"),  # beyond bigint
        (_forged("size", "desc", 1.5, FILE_ID), "size"),
        (_forged("views", "desc", 3, "file_x\x00"), "views"),  # NUL in the id
        (_forged("views", "desc", 3, "x" * 5000), "views"),
        (_forged("created", "desc", "2020-01-01\x00", FILE_ID), "created"),
        (_forged("created", "desc", 17, FILE_ID), "created"),
        (_forged("created", "desc", ["a"], FILE_ID), "created"),
        ("not base64 at all!", "created"),
    ],
)
def test_forged_cursors_are_a_400_before_any_sql(cursor: str, sort: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        decode_cursor(cursor, sort, "desc")
    assert caught.value.details == {"field": "cursor"}


def test_our_own_cursors_still_decode() -> None:
    cursor = encode_cursor("views", "desc", 7, FILE_ID)
    assert decode_cursor(cursor, "views", "desc") == (7, FILE_ID)


@pytest.mark.parametrize("mime", ["text/html", "image/svg+xml", "application/pdf", "image/bmp"])
def test_an_upload_of_a_type_no_image_has_is_refused_when_requested(mime: str) -> None:
    with pytest.raises(UnsupportedMediaError) as caught:
        UploadRequest(filename="a.png", mime=mime, bytes=10)
    assert caught.value.details["mime"] == mime


@pytest.mark.parametrize("mime", [*ACCEPTED, "image/JPG", "image/heif", "image/png; q=1"])
def test_every_accepted_type_may_be_requested(mime: str) -> None:
    UploadRequest(filename="a.png", mime=mime, bytes=10)


@pytest.mark.parametrize("days", ["0", "-1", "-30", "3651", "soon"])
def test_keys_create_refuses_a_lifetime_that_never_expires(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli(["keys", "create", "--account", "usr_x", "--expires-in-days", days])
    assert caught.value.code == 2  # argparse's usage error: nothing was created
    assert "--expires-in-days" in capsys.readouterr().err


class _Things(Controller):
    path = "/things"

    @get("/{thing_id:str}")
    async def read(self, thing_id: str) -> str:
        return thing_id

    @patch("/{thing_id:str}")
    async def change(self, thing_id: str) -> str:
        return thing_id


def test_options_lists_every_method_of_a_path_with_several_handlers() -> None:
    app = Litestar(route_handlers=[_Things])
    answer_all_methods(app)
    with TestClient(app) as client:
        allow = client.options("/things/x").headers["allow"]
    assert allow == "GET, OPTIONS, PATCH"
