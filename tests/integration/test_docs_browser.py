"""The docs page loads anywhere: in a headless Chromium with no network but loopback, the page at
/api/v1/schema loads its packaged Scalar bundle from this server, asks no other host for anything,
and renders the operations of the server's own OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pichr.api.wire.docs_page import SCALAR
from tests.integration.browser_support import chromium, needs_chromium
from tests.integration.server import PichrServer, fresh_server

pytestmark = [pytest.mark.integration, needs_chromium]


@pytest.fixture(scope="module")
def server(pg_admin_url: str) -> Iterator[PichrServer]:
    with fresh_server(pg_admin_url, "docs-page") as served:
        yield served


def test_the_docs_page_renders_every_operation_offline(server: PichrServer) -> None:
    with server.client() as client:
        document = client.get("/api/v1/schema/openapi.json").json()
    summaries = {
        op["summary"]
        for item in document["paths"].values()
        for op in item.values()
        if "summary" in op
    }
    asked: list[str] = []
    failed: list[str] = []
    with chromium(offline=True) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("request", lambda r: asked.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        response = page.goto(f"{server.base_url}/api/v1/schema")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "text/html" in response.headers["content-type"]
        page.wait_for_selector("text=Create an upload and its file record")
        text: str = page.evaluate("document.body.innerText")
        context.close()
    elsewhere = [u for u in asked if not u.startswith((server.base_url, "data:", "blob:"))]
    assert elsewhere == []  # no CDN, no fonts, no telemetry: nothing but this server
    assert f"{server.base_url}/api/v1/schema/assets/{SCALAR}" in asked
    assert failed == []
    assert len(summaries) > 30
    assert sorted(s for s in summaries if s not in text) == []  # every operation is rendered
