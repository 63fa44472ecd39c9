"""The docs page's packaged assets: the pinned Scalar bundle is the one recorded (version and
sha256 in api/wire/docs_page.py and api/docs_assets/VENDORED.md), the wheel ships it, and the
page loads nothing from elsewhere."""

from __future__ import annotations

import gzip
import hashlib
import re
import tomllib
from pathlib import Path

from litestar.testing import TestClient

from pichr.api.wire.docs_page import ASSETS, SCALAR, SCALAR_SHA256, SCALAR_VERSION, SERVED
from tests.support.built_app import built_app

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundle_is_the_pinned_one() -> None:
    plain = gzip.decompress(SERVED[SCALAR].read_bytes())
    assert hashlib.sha256(plain).hexdigest() == SCALAR_SHA256
    assert f"@scalar/api-reference@{SCALAR_VERSION}".encode() in plain
    recorded = (ASSETS / "VENDORED.md").read_text()
    assert SCALAR_SHA256 in recorded
    assert f"| {SCALAR_VERSION} |" in recorded


def test_the_wheel_ships_the_assets() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["pichr.api"]
    shipped = {p.relative_to(ROOT / "api").as_posix() for p in ASSETS.iterdir()}
    for name in shipped:
        assert any(Path(name).match(pattern) for pattern in patterns), name
    assert {f"docs_assets/{p.name}" for p in SERVED.values()} <= shipped


def test_the_page_names_only_this_servers_files() -> None:
    client = TestClient(built_app())  # not entered: its lifespan (services) never runs
    page = client.get("/api/v1/schema")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources == [
        "data:,",
        f"/api/v1/schema/assets/{SCALAR}",
        "/api/v1/schema/assets/pichr-docs.js",
    ]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    zipped = client.get(sources[1], headers={"Accept-Encoding": "gzip"})
    plain = client.get(sources[1], headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert hashlib.sha256(plain.content).hexdigest() == SCALAR_SHA256
    assert client.get("/api/v1/schema/assets/other.js").status_code == 404
