"""Settings are parsed once, and a bad value names its variable and the form it needs."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Iterator
from dataclasses import fields

import pytest

from pichr.api.middleware.logs import LEVELS
from pichr.application.settings import DOCUMENTED, Settings, SettingsError
from pichr.scripts import cli


@pytest.fixture(autouse=True)
def _process_state_kept() -> Iterator[None]:
    """cli.main configures logging and SIGTERM for the process: give them back."""
    names = ("", "pichr", *LEVELS)
    saved = {n: logging.getLogger(n).handlers[:] for n in names}
    term = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, term)
    for name, handlers in saved.items():
        logging.getLogger(name).handlers[:] = handlers


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("PICHR_PORT", "abc", "a whole number"),
        ("PICHR_PORT", "70000", "a TCP port, 1 to 65535"),
        ("PICHR_RATE_LIMITS", "maybe", "true or false"),
        ("PICHR_NSFW_THRESHOLD", "high", "a number"),
        ("PICHR_API_WORKERS", "-2", "0 or more"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_form(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, expected: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert caught.value.name == name
    assert str(caught.value).startswith(f"{name}={raw!r} is not valid: expected ")
    assert expected in str(caught.value)


@pytest.mark.parametrize(("raw", "value"), [("off", False), ("FALSE", False), (" yes ", True)])
def test_booleans_take_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, value: bool
) -> None:
    monkeypatch.setenv("PICHR_RATE_LIMITS", raw)
    assert Settings.from_env().rate_limits is value


def test_every_field_is_a_known_name_so_new_settings_need_no_list() -> None:
    known = Settings.known_names()
    assert {"PICHR_" + f.name.upper() for f in fields(Settings)} <= known
    assert set(DOCUMENTED) <= known


def test_a_misspelt_name_is_unknown_with_the_nearest_known_one() -> None:
    environ = {"PICHR_PROT": "9000", "PICHR_PORT": "1", "PICHR_TEST_DATABASE_URL": "x", "HOME": "/"}
    assert Settings.unknown_names(environ) == {"PICHR_PROT": "PICHR_PORT"}


def test_the_cli_refuses_a_bad_value_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PICHR_PORT", "abc")
    with pytest.raises(SystemExit) as exited:
        cli.main(["events", "catalogue"])
    assert exited.value.code == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert error["message"] == "PICHR_PORT='abc' is not valid: expected a whole number (e.g. 8)"


def test_the_cli_refuses_plans_that_are_not_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PICHR_PLANS", "{free: 5}")
    with pytest.raises(SystemExit) as exited:
        cli.main(["events", "catalogue"])
    assert exited.value.code == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert error["message"].startswith("PICHR_PLANS is not valid")


def test_the_cli_warns_of_an_unknown_name_and_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PICHR_RATE_LIMIT", "false")
    with pytest.raises(SystemExit) as exited:
        cli.main(["events", "catalogue"])
    assert exited.value.code == 0
    out = capsys.readouterr()
    warned = [json.loads(line) for line in out.err.splitlines()]
    assert any(
        "PICHR_RATE_LIMIT ignored; did you mean PICHR_RATE_LIMITS?" in w["message"] for w in warned
    )
    assert out.out.startswith("#")  # the catalogue still printed


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip().startswith("pichr 0.")
