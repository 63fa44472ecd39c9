"""Link previews (issue 14 point 4): OpenGraph and Twitter card tags on /f/{id} and /a/{id},
og:image at the 1200-wide variant, the filename as the default title, alt text, escaped; a
private file, a locked album or a refusal says nothing in its meta tags."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from tests.integration.server import Account, PichrServer, image, upload
from tests.integration.test_album_support import album_server, create_album

pytestmark = pytest.mark.integration
HOSTILE = 'Lake "at dawn" <script>alert(1)</script> & co'


@pytest.fixture(scope="module")
def server(pg_admin_url: str) -> Iterator[PichrServer]:
    with album_server(pg_admin_url, "previews") as served:
        yield served


@pytest.fixture(scope="module")
def owner(server: PichrServer) -> Account:
    return server.new_account()


def meta(page: str) -> dict[str, str]:
    """property/name -> content of the page's meta tags, unescaped as a parser would."""
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page)
    return {key: html.unescape(value) for key, value in found}


def previews(page: str) -> set[str]:
    return {k for k in meta(page) if k.startswith(("og:", "twitter:"))}


def page_of(server: PichrServer, path: str) -> tuple[int, str]:
    with server.client() as client:
        answer = client.get(path)
    return answer.status_code, answer.text


def test_a_file_page_previews_with_the_filename_as_title(
    server: PichrServer, owner: Account
) -> None:
    with server.client() as client:
        made = upload(client, owner, image(seed=3), filename=f"{HOSTILE}.png")
    status, page = page_of(server, f"/f/{made.file_id}")
    assert status == 200
    tags = meta(page)
    assert tags["og:title"] == f"{HOSTILE}.png"
    assert tags["twitter:title"] == f"{HOSTILE}.png"
    assert tags["og:image"] == f"{server.base_url}/i/{made.file_id}?w=1200"
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:alt"] == f"{HOSTILE}.png"
    assert tags["og:url"] == f"{server.base_url}/f/{made.file_id}"
    assert "<script>" not in page  # escaped, in the tags and in the page
    alts = [html.unescape(a) for a in re.findall(r'<img src="[^"]*" alt="([^"]*)"', page)]
    assert alts == [f"{HOSTILE}.png"]


def test_a_title_and_description_win_over_the_filename(server: PichrServer, owner: Account) -> None:
    with server.client() as client:
        made = upload(
            client, owner, image(seed=4), title="Hills", description="Rain over the hills."
        )
    tags = meta(page_of(server, f"/f/{made.file_id}")[1])
    assert tags["og:title"] == "Hills"
    assert tags["og:description"] == "Rain over the hills."
    assert tags["og:image:alt"] == "Rain over the hills."


def test_private_and_missing_files_reveal_nothing(server: PichrServer, owner: Account) -> None:
    with server.client() as client:
        made = upload(client, owner, image(seed=5), title="Secret plans", visibility="private")
    for path in (f"/f/{made.file_id}", "/f/file_doesnotexist"):
        status, page = page_of(server, path)
        assert status == 404
        assert previews(page) == set()
        assert "Secret plans" not in page
    with server.client() as client:
        own = client.get(f"/f/{made.file_id}", headers=owner.headers)
    assert own.status_code == 200
    assert "Secret plans" in own.text  # the owner sees the page, but no previews of it
    assert previews(own.text) == set()


def test_an_album_previews_its_cover(server: PichrServer, owner: Account) -> None:
    with server.client() as client:
        first = upload(client, owner, image(seed=6), title="First").file_id
        cover = upload(client, owner, image(seed=7), title="The cover").file_id
        made = create_album(
            client, owner, title=HOSTILE, description="Summer.", fileIds=[first, cover]
        )
        client.patch(
            f"/api/v1/albums/{made['id']}", json={"coverImageId": cover}, headers=owner.headers
        ).raise_for_status()
    status, page = page_of(server, f"/a/{made['id']}")
    assert status == 200
    tags = meta(page)
    assert tags["og:title"] == HOSTILE
    assert tags["og:description"] == "Summer."
    assert tags["og:image"] == f"{server.base_url}/i/{cover}?w=1200"
    assert tags["og:image:alt"] == "The cover"
    assert "<script>" not in page


def test_a_locked_album_reveals_nothing(server: PichrServer, owner: Account) -> None:
    with server.client() as client:
        shown = upload(client, owner, image(seed=8), title="Behind the lock").file_id
        made = create_album(
            client, owner, title="Locked away", fileIds=[shown], password="open sesame"
        )
    status, page = page_of(server, f"/a/{made['id']}")
    assert status == 401
    assert previews(page) == set()
    assert "Locked away" not in page
    assert shown not in page
