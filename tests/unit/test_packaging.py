"""What the wheel ships: every package of the shipped folders under `pichr.*`, and nothing
shipped imports the tests or the benchmarks (which are not shipped)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAPPING: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]


def shipped_packages() -> set[str]:
    found = set()
    for name, folder in MAPPING.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            if "bench" not in relative.parts:
                found.add(".".join([name, *relative.parts]))
    return found


def test_pyproject_lists_every_package_of_the_shipped_folders() -> None:
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == shipped_packages()


def test_the_only_top_level_name_is_pichr() -> None:
    assert {name.split(".")[0] for name in PYPROJECT["tool"]["setuptools"]["packages"]} == {"pichr"}


def test_nothing_shipped_imports_the_tests_or_the_benchmarks() -> None:
    offenders = []
    for folder in MAPPING.values():
        for path in (ROOT / folder).rglob("*.py"):
            if "bench" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [
                    f"{path}: {n}" for n in names if n.split(".")[0] in ("tests", "scripts")
                ]
                offenders += [f"{path}: {n}" for n in names if n.startswith("pichr.scripts.bench")]
    assert offenders == []
