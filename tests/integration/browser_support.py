"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) and a page server on
another origin, for the browser tests of CORS and of the docs page."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# No network but loopback: every other host goes through a proxy that is not there, and no
# name resolves (the docs page must load from this server alone).
OFFLINE = [
    "--proxy-server=socks5://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium: apt-get install -y chromium",
)


@contextlib.contextmanager
def chromium(offline: bool = False) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        args = ARGS + (OFFLINE if offline else [])
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def page_server(port: int, pages: dict[str, str]) -> Iterator[str]:
    """Serve `pages` (path -> HTML) at http://127.0.0.1:port, another origin than the API's."""

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = pages.get(self.path.partition("?")[0])
            body = (html or "not found").encode()
            self.send_response(200 if html is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    served = ThreadingHTTPServer(("127.0.0.1", port), Pages)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        served.shutdown()
        served.server_close()
