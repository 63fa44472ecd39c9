"""URL ingest (POST /api/v1/upload with a `url` field) against a real server and a real origin:
the image is fetched and goes through the same pipeline; redirects are followed (at most 3)
and checked again; limits of size and time hold; inside addresses are refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.integration.server import Account, PichrServer, assert_error, fresh_server, image

pytestmark = pytest.mark.integration
UPLOAD = "/api/v1/upload"
MAX_FILE = 200_000
PLANS = json.dumps({"free": {"maxFileBytes": MAX_FILE, "uploadsPerHour": 10_000}})
PNG = image(size=(33, 21), seed=7)


class Origin(BaseHTTPRequestHandler):
    """The remote site: an image, redirects, a too-large body, a slow one, a page."""

    def do_GET(self) -> None:
        path = self.path
        if path == "/img.png":
            self._send(200, PNG, "image/png")
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self._redirect("/img.png" if left == 0 else f"/hop/{left - 1}")
        elif path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/big":
            self._send(200, PNG + bytes(MAX_FILE), "image/png")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(PNG[:40])
            self.wfile.flush()
            time.sleep(6)  # longer than the server's PICHR_URL_INGEST_TIMEOUT_SECONDS
        elif path == "/page":
            self._send(200, b"<html>" + bytes(100), "text/html")
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    extra = {
        "PICHR_PLANS": PLANS,
        "PICHR_URL_INGEST_ALLOW_PRIVATE": "true",
        "PICHR_URL_INGEST_TIMEOUT_SECONDS": "2",
        "PICHR_FINALIZE_WAIT_MS": "120000",  # answers after the analysis, even on a busy machine
    }
    with fresh_server(pg_admin_url, "url", **extra) as server:
        yield server


@pytest.fixture(scope="module")
def owner(served: PichrServer) -> Account:
    return served.new_account()


@pytest.fixture
def client(served: PichrServer) -> Iterator[httpx.Client]:
    with served.client(timeout=30) as c:
        yield c


def ingest(client: httpx.Client, who: Account | None, url: str) -> httpx.Response:
    headers = who.headers if who else {}
    return client.post(UPLOAD, files={"url": (None, url.encode())}, headers=headers)


def test_an_image_url_is_fetched_and_published(
    client: httpx.Client, owner: Account, origin: str
) -> None:
    answer = ingest(client, owner, f"{origin}/img.png")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["width"], body["height"], body["bytes"]) == (33, 21, len(PNG))
    assert client.get(f"/i/{body['fileId']}").status_code == 200


def test_three_redirects_are_followed_four_are_not(
    client: httpx.Client, owner: Account, origin: str
) -> None:
    assert ingest(client, owner, f"{origin}/hop/2").status_code == 200
    assert assert_error(ingest(client, owner, f"{origin}/hop/3"), 400)["field"] == "url"


def test_a_redirect_to_the_metadata_address_is_refused(
    client: httpx.Client, owner: Account, origin: str
) -> None:
    details = assert_error(ingest(client, owner, f"{origin}/to-metadata"), 400)
    assert details["field"] == "url"


@pytest.mark.parametrize(("path", "status"), [("/big", 413), ("/page", 415), ("/nothing", 400)])
def test_bad_remote_answers_are_refused(
    client: httpx.Client, owner: Account, origin: str, path: str, status: int
) -> None:
    assert_error(ingest(client, owner, f"{origin}{path}"), status)


def test_a_remote_that_stalls_is_cut_off(client: httpx.Client, owner: Account, origin: str) -> None:
    assert assert_error(ingest(client, owner, f"{origin}/slow"), 400)["field"] == "url"


def test_a_file_and_a_url_together_are_refused(
    client: httpx.Client, owner: Account, origin: str
) -> None:
    files = {"file": ("a.png", PNG, "image/png"), "url": (None, f"{origin}/img.png".encode())}
    assert_error(client.post(UPLOAD, files=files, headers=owner.headers), 400)


def test_by_default_loopback_and_private_urls_are_refused(
    fs_server: PichrServer, origin: str
) -> None:
    with fs_server.client() as client:
        for url in (f"{origin}/img.png", "http://10.0.0.1/a.png", "http://[::1]/a.png"):
            assert assert_error(ingest(client, None, url), 400)["field"] == "url"
