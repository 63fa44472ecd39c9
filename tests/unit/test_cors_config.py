"""CORS as PICHR_CORS_ORIGINS says (shared CONTRACT.md, "CORS"), on the app built but never
started: a preflight is answered without the services (no key looked up, nothing counted), with
CORS on and off; an origin not listed is refused, and so is a header outside the contract."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from pichr.api.middleware.cors import cors_config
from pichr.application.settings import Settings
from tests.support.built_app import app_with, built_app

LISTED = "https://app.example"
PREFLIGHT = {"Origin": LISTED, "Access-Control-Request-Method": "PUT"}


@pytest.fixture(scope="module")
def client() -> TestClient:  # type: ignore[type-arg]
    # Not entered: the lifespan never runs, so the app has no services. A request that reached
    # the gate (api/middleware/gate.py) would fail for the want of them.
    return TestClient(app_with(Settings(cors_origins=f"{LISTED}, https://other.example")))


def test_no_origins_no_cors() -> None:
    assert cors_config("") is None
    assert cors_config(" , ") is None
    everyone = cors_config("*")
    assert everyone is not None
    assert everyone.allow_origins == ["*"]
    assert everyone.allow_credentials is False


def test_a_preflight_is_answered_before_the_gate(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in ("/api/v1/upload/direct/file_x", "/api/v1/upload/multipart/u/parts/2", "/t/x"):
        answer = client.options(
            path, headers={**PREFLIGHT, "Access-Control-Request-Headers": "Authorization"}
        )
        assert answer.status_code == 204, (path, answer.text)
        assert answer.headers["access-control-allow-origin"] == LISTED
        assert "x-ratelimit-limit" not in answer.headers


def test_an_origin_not_listed_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.options(
        "/api/v1/upload/presign", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_a_header_outside_the_contract_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.options(
        "/api/v1/files", headers={**PREFLIGHT, "Access-Control-Request-Headers": "X-Secret"}
    )
    assert answer.status_code == 400


def test_without_cors_a_preflight_is_still_not_gated() -> None:
    answer = TestClient(built_app()).options("/api/v1/upload/presign", headers=PREFLIGHT)
    assert answer.status_code == 204  # the router's own OPTIONS answer; the gate let it by
    assert "access-control-allow-origin" not in answer.headers
