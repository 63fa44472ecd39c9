"""The runners' NOTIFY payloads as the position waiter reads them."""

from __future__ import annotations

from pichr.projections.log.waiter import parse_note


def test_a_note_says_whether_the_batch_applied_anything() -> None:
    assert parse_note("file_listing:120:3") == ("file_listing", 120, True)
    assert parse_note("auth:121:0") == ("auth", 121, False)


def test_a_note_of_an_older_runner_counts_as_a_change() -> None:
    assert parse_note("file_listing:120") == ("file_listing", 120, True)
    assert parse_note("albums__next:7") == ("albums__next", 7, True)
