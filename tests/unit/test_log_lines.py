"""Every log line is JSON with a millisecond UTC time, our loggers' and the libraries' alike;
the CLI writes camelCase JSON as the API does."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pichr.api.middleware import logs
from pichr.scripts.output import camelized

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(logs.sys, "stderr", stream)
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate)
             for n in ("", "pichr", *logs.LEVELS)}  # fmt: skip
    logs.configure("INFO")
    yield stream
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate


@pytest.mark.parametrize("name", ["pichr.backup", "dramatiq.worker.Worker", "some.library"])
def test_each_line_is_json_with_millisecond_utc_time(captured: io.StringIO, name: str) -> None:
    logging.getLogger(name).warning("hello %s", "there")
    [line] = captured.getvalue().splitlines()
    entry = json.loads(line)
    assert (entry["message"], entry["logger"], entry["level"]) == ("hello there", name, "warning")
    assert STAMP.match(entry["time"]), entry["time"]


def test_the_time_is_utc_to_the_millisecond() -> None:
    moment = datetime(2026, 12, 4, 19, 25, 23, 123456, tzinfo=UTC).timestamp()
    assert logs.utc_millis(moment) == "2026-12-04T19:25:23.123Z"


def test_dramatiq_info_lines_are_kept(captured: io.StringIO) -> None:
    logging.getLogger("dramatiq.worker.Worker").info("Worker is ready")
    assert json.loads(captured.getvalue())["message"] == "Worker is ready"


def test_cli_keys_are_camel_case_but_an_events_own_fields_keep_their_names() -> None:
    row = {"file_id": "f", "has_email": False, "nested": [{"created_at": 1}]}
    entry = {"type": "t", "payload": {"blob_key": "k"}}
    assert camelized(row) == {"fileId": "f", "hasEmail": False, "nested": [{"createdAt": 1}]}
    assert camelized(entry) == entry
