"""CORS (shared CONTRACT.md, "CORS"): a page on another origin uploads through presign -> PUT ->
finalize and reads the result in a real headless Chromium; a page on an origin not listed in
PICHR_CORS_ORIGINS is refused; preflights need no key and are not counted."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import chromium, needs_chromium, page_server
from tests.integration.s3server import free_port
from tests.integration.server import Account, PichrServer, fresh_server, image

pytestmark = [pytest.mark.integration, needs_chromium]

UPLOAD = """<!doctype html><meta charset="utf-8"><title>another origin</title>
<script>
async function upload(api, key, encoded) {
  const data = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
  const auth = {"Authorization": "Bearer " + key};
  const json = {...auth, "Content-Type": "application/json"};
  const presign = await fetch(api + "/api/v1/upload/presign", {method: "POST", headers: json,
    body: JSON.stringify({filename: "from-a-browser.png", mime: "image/png", bytes: data.length})});
  const made = await presign.json();
  const put = await fetch(made.uploadUrl, {method: "PUT", body: data,
    headers: {...auth, "Content-Type": "application/octet-stream"}});
  const done = await fetch(api + "/api/v1/upload/finalize", {method: "POST", headers: json,
    body: JSON.stringify({uploadId: made.uploadId, fileId: made.fileId})});
  const record = await done.json();
  const read = await fetch(api + "/api/v1/files/" + made.fileId, {headers: auth});
  const served = await fetch(record.url);
  const bitmap = await createImageBitmap(await served.blob());
  return {
    presign: presign.status, put: put.status, finalize: done.status, read: read.status,
    fileId: made.fileId, record: await read.json(), width: bitmap.width,
    remaining: read.headers.get("X-RateLimit-Remaining"),
    limit: read.headers.get("X-RateLimit-Limit"),
    requestId: read.headers.get("X-Request-ID"), etag: served.headers.get("ETag"),
  };
}
async function tryPresign(api) {
  try {
    const r = await fetch(api + "/api/v1/upload/presign", {method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({filename: "x.png", mime: "image/png", bytes: 10})});
    return "answered " + r.status;
  } catch (e) { return "refused: " + e.name; }
}
</script>
"""


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """(a listed origin, an origin not listed), each serving the upload page."""
    with (
        page_server(free_port(), {"/": UPLOAD}) as listed,
        page_server(free_port(), {"/": UPLOAD}) as stranger,
    ):
        yield listed, stranger


@pytest.fixture(scope="module")
def server(pg_admin_url: str, origins: tuple[str, str]) -> Iterator[PichrServer]:
    listed, _ = origins
    with fresh_server(
        pg_admin_url, "cors", PICHR_CORS_ORIGINS=f"https://elsewhere.test, {listed}"
    ) as s:
        yield s


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def run_in(browser: Any, origin: str, script: str) -> Any:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(origin + "/")
        return page.evaluate(script)
    finally:
        context.close()


def test_a_page_on_another_origin_uploads_and_reads_the_result(
    browser: Any, origins: tuple[str, str], server: PichrServer, owner: Account
) -> None:
    listed, _ = origins
    data = image(size=(64, 48), seed=7)
    encoded = base64.b64encode(data).decode()
    call = f"upload({json.dumps(server.base_url)}, {json.dumps(owner.api_key)}, '{encoded}')"
    got = run_in(browser, listed, call)
    assert (got["presign"], got["put"], got["finalize"], got["read"]) == (200, 200, 200, 200)
    assert got["record"]["id"] == got["fileId"]
    assert got["record"]["mime"] == "image/png"
    assert got["record"]["status"] == "ready"
    assert got["width"] == 64  # the served image, read by the page
    # The exposed headers: the page can read its allowance, the request id and the ETag.
    assert got["limit"] is not None
    assert int(got["remaining"]) < int(got["limit"])
    assert got["requestId"]
    assert got["etag"]


def test_a_page_on_an_origin_not_listed_is_refused(
    browser: Any, origins: tuple[str, str], server: PichrServer
) -> None:
    listed, stranger = origins
    assert stranger != listed
    assert run_in(browser, stranger, f"tryPresign({json.dumps(server.base_url)})") == (
        "refused: TypeError"
    )
    assert run_in(browser, listed, f"tryPresign({json.dumps(server.base_url)})") == "answered 200"
    with server.client() as client:
        answer = client.options(
            "/api/v1/upload/presign",
            headers={"Origin": stranger, "Access-Control-Request-Method": "POST"},
        )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def preflight(server: PichrServer, origin: str, path: str, method: str = "PUT") -> Any:
    with server.client() as client:
        return client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type, x-delete-token",
            },
        )


def test_preflights_need_no_key_and_are_not_counted(
    origins: tuple[str, str], server: PichrServer, owner: Account
) -> None:
    listed, _ = origins
    with server.client() as client:
        before = client.get("/api/v1/usage", headers=owner.headers)
    paths = ["/api/v1/upload/direct/file_x", "/api/v1/upload/multipart/up_x/parts/1", "/i/file_x"]
    for path in paths * 3:
        answer = preflight(server, listed, path)
        assert answer.status_code == 204, (path, answer.text)
        assert answer.headers["access-control-allow-origin"] == listed
        assert "PUT" in answer.headers["access-control-allow-methods"]
        assert "x-delete-token" in answer.headers["access-control-allow-headers"].lower()
        assert "x-ratelimit-remaining" not in answer.headers  # the gate never saw it
    with server.client() as client:
        after = client.get("/api/v1/usage", headers=owner.headers)
    remaining = [int(r.headers["x-ratelimit-remaining"]) for r in (before, after)]
    assert remaining[1] == remaining[0] - 1  # only the second GET was counted


def test_every_answer_carries_the_headers_a_browser_needs(
    origins: tuple[str, str], server: PichrServer
) -> None:
    listed, _ = origins
    with server.client() as client:
        refused = client.get(
            "/api/v1/usage", headers={"Origin": listed, "Authorization": "Bearer pk_nope"}
        )
        page = client.get("/f/file_doesnotexist", headers={"Origin": listed})
    assert refused.status_code == 401  # the gate's own refusal, readable by the page
    assert refused.headers["access-control-allow-origin"] == listed
    exposed = {
        h.strip().lower() for h in refused.headers["access-control-expose-headers"].split(",")
    }
    wanted = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"}
    assert wanted | {"x-request-id", "etag", "location"} <= exposed
    assert "access-control-allow-credentials" not in refused.headers
    assert "access-control-allow-origin" not in page.headers  # pages are not for other origins
