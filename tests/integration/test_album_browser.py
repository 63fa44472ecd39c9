"""The album page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The browser runs with JavaScript off: the gallery and its password form must work without it.
Screenshots are kept under test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.server import Account, PichrServer
from tests.integration.test_album_support import album_server, create_album, upload_many

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IMAGES = "[...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium: apt-get install -y chromium",
    ),
]


@pytest.fixture(scope="module")
def server(pg_admin_url: str) -> Iterator[PichrServer]:
    with album_server(pg_admin_url, "album-browser") as served:
        yield served


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1100, "height": 800}
    )
    yield context.new_page()
    context.close()


def loaded_images(page: Any) -> list[tuple[str, bool, int]]:
    page.wait_for_load_state("load")  # after every image has loaded or failed
    return [tuple(i) for i in page.evaluate(IMAGES)]


def test_every_thumbnail_of_the_gallery_loads(
    server: PichrServer, owner: Account, page: Any
) -> None:
    files = upload_many(server, owner, 7)
    title = "Summer <b>2025</b> & friends"
    with server.client() as client:
        made = create_album(
            client, owner, title=title, description="Lake, hills\nand rain.", fileIds=files
        )
    response = page.goto(made["url"])
    assert response.status == 200
    assert page.text_content("h1") == title  # shown as text, not markup
    images = loaded_images(page)
    assert [src.rsplit("/", 1)[-1] for src, _, _ in images] == files
    assert all(done and width > 0 for _, done, width in images), images
    links = page.eval_on_selector_all(".grid a", "links => links.map(a => a.href)")
    assert links == [f"{server.base_url}/i/{f}" for f in files]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "album-page.png"), full_page=True)


def test_the_password_form_unlocks_the_album(
    server: PichrServer, owner: Account, page: Any
) -> None:
    files = upload_many(server, owner, 3, first_seed=40)
    with server.client() as client:
        made = create_album(client, owner, title="Locked", fileIds=files, password="open sesame")
    response = page.goto(made["url"])
    assert response.status == 401
    assert page.evaluate("document.images.length") == 0
    page.fill("#password", "wrong guess")
    page.click("button[type=submit]")
    assert "not right" in page.text_content("[role=alert]")
    page.fill("#password", "open sesame")
    with page.expect_navigation() as unlocked:
        page.click("button[type=submit]")
    assert unlocked.value.status == 200
    assert page.url == made["url"]  # nothing in the URL
    images = loaded_images(page)
    assert len(images) == len(files)
    assert all(width > 0 for _, _, width in images), images
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "album-unlocked.png"), full_page=True)
    again = page.goto(made["url"])  # the cookie keeps it open on reload
    assert again.status == 200
    assert page.text_content("h1") == "Locked"


def test_the_file_page_shows_the_image(server: PichrServer, owner: Account, page: Any) -> None:
    (file_id,) = upload_many(server, owner, 1, first_seed=60)
    response = page.goto(f"{server.base_url}/f/{file_id}")
    assert response.status == 200
    images = loaded_images(page)
    assert len(images) == 1
    assert images[0][2] == 40
    missing = page.goto(f"{server.base_url}/a/alb_doesnotexist")
    assert missing.status == 404
    assert "Not found" in page.text_content("h1")
