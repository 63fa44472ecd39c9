"""The README documents every PICHR_* setting with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from pichr.application.settings import DOCUMENTED

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_setting_with_its_default() -> None:
    text = README.read_text()
    for name, (default, _) in DOCUMENTED.items():
        shown = f"`{default}`" if default else "(empty)"
        assert re.search(rf"\| `{name}` \| {re.escape(shown)} \|", text), name


def test_every_setting_in_code_is_documented() -> None:
    shipped = ("domain", "application", "projections", "api", "workers", "scripts")
    code = "\n".join(
        p.read_text()
        for top in shipped
        for p in (README.parent / top).rglob("*.py")
        if "bench" not in p.parts  # benchmarks are not shipped (their own knobs)
    )
    used = set(re.findall(r"\bPICHR_[A-Z0-9_]+\b", code))
    internal = {"PICHR_EMBED_PROJECTIONS", "PICHR_TEST_DATABASE_URL"}
    assert used - internal <= set(DOCUMENTED), used - internal - set(DOCUMENTED)
