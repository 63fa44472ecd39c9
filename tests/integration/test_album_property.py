"""Property: whatever the visibilities, passwords and contents, nothing private leaks.

Several accounts, random file visibilities and random albums; every route and page is asked by
every other account and by an anonymous caller, and must show exactly what they may see.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.server import Account, PichrServer
from tests.integration.test_album_support import album_server, upload_many

pytestmark = pytest.mark.integration

ACCOUNTS = 3
FILES_EACH = 3
VISIBILITY = st.sampled_from(["public", "unlisted", "private"])
PASSWORDS = ("pw-one", "correct horse")


@dataclass
class World:
    server: PichrServer
    accounts: list[Account]
    files: list[list[str]]  # per account
    visibility: dict[str, str] = field(default_factory=dict)  # file id -> as last set

    def owner_of(self, file_id: str) -> int:
        return next(i for i, mine in enumerate(self.files) if file_id in mine)


@pytest.fixture(scope="module")
def world(pg_admin_url: str) -> Iterator[World]:
    with album_server(pg_admin_url, "album-property") as server:
        accounts = [server.new_account() for _ in range(ACCOUNTS)]
        files = [
            upload_many(server, a, FILES_EACH, first_seed=10 * i) for i, a in enumerate(accounts)
        ]
        made = World(server, accounts, files)
        made.visibility = {f: "public" for mine in files for f in mine}
        yield made


@dataclass(frozen=True)
class AlbumSpec:
    owner: int
    visibility: str
    password: str | None
    picks: list[int]
    cover: int | None  # an index into picks


ALBUM = st.builds(
    AlbumSpec,
    owner=st.integers(0, ACCOUNTS - 1),
    visibility=VISIBILITY,
    password=st.none() | st.sampled_from(PASSWORDS),
    picks=st.lists(st.integers(0, FILES_EACH - 1), max_size=5),
    cover=st.none() | st.integers(0, 4),
)


@dataclass
class Made:
    spec: AlbumSpec
    album_id: str
    title: str
    files: list[str]  # in album order, without repeats


def set_visibilities(w: World, client: httpx.Client, wanted: list[str]) -> None:
    every = [f for mine in w.files for f in mine]
    for file_id, visibility in zip(every, wanted, strict=True):
        if w.visibility[file_id] != visibility:
            owner = w.accounts[w.owner_of(file_id)]
            body = {"visibility": visibility}
            answer = client.patch(f"/api/v1/files/{file_id}", json=body, headers=owner.headers)
            assert answer.status_code == 200, answer.text
            w.visibility[file_id] = visibility


def make_album(w: World, client: httpx.Client, spec: AlbumSpec) -> Made:
    owner, title = w.accounts[spec.owner], f"album-{uuid.uuid4().hex}"
    picked = list(dict.fromkeys(w.files[spec.owner][i] for i in spec.picks))
    body: dict[str, Any] = {"title": title, "fileIds": [w.files[spec.owner][i] for i in spec.picks]}
    body |= {"visibility": spec.visibility, "password": spec.password}
    made = client.post("/api/v1/albums", json=body, headers=owner.headers)
    assert made.status_code == 201, made.text
    album_id = made.json()["id"]
    if spec.cover is not None and picked:
        cover = {"coverImageId": picked[spec.cover % len(picked)]}
        patched = client.patch(f"/api/v1/albums/{album_id}", json=cover, headers=owner.headers)
        assert patched.status_code == 200, patched.text
    return Made(spec, album_id, title, picked)


def private_of_others(w: World, viewer: int | None) -> set[str]:
    return {f for f, v in w.visibility.items() if v == "private" and w.owner_of(f) != viewer}


def check_album(w: World, client: httpx.Client, made: Made, viewer: int | None) -> None:
    """What `viewer` (an account index, None: anonymous) gets from the API and the page."""
    headers = w.accounts[viewer].headers if viewer is not None else {}
    url, page = f"/api/v1/albums/{made.album_id}", f"/a/{made.album_id}"
    owner = viewer == made.spec.owner
    visible = [f for f in made.files if owner or w.visibility[f] != "private"]
    hidden = private_of_others(w, viewer)
    client.cookies.clear()  # a fresh browser for every viewer: no unlock cookie carried over
    answers = [client.get(url, headers=headers), client.get(page, headers=headers)]
    if made.spec.password is not None:
        answers.append(client.get(url, headers=headers | {"X-Album-Password": made.spec.password}))
        form = {"password": made.spec.password}
        answers.append(client.post(page, data=form, headers=headers))
    for answer in answers:
        assert not hidden & set(_mentioned(answer.text, w)), (answer.request.url, answer.text)
        if made.spec.visibility == "private" and not owner:
            assert answer.status_code == 404, answer.text
        elif made.spec.password is not None and not owner and answer is answers[0]:
            assert answer.status_code == 401, answer.text
        elif made.spec.password is not None and not owner and answer is answers[1]:
            assert answer.status_code == 401
            assert 'name="password"' in answer.text
        else:
            assert answer.status_code == 200, answer.text
            assert _shown(answer, w) == visible
            assert made.title in answer.text
            continue
        assert made.title not in answer.text


def _shown(answer: httpx.Response, w: World) -> list[str]:
    """The files an album answer shows, in order (a cover must be one of them)."""
    if answer.headers["content-type"].startswith("application/json"):
        body = answer.json()
        shown = [f["id"] for f in body["files"]]
        assert body["coverImageId"] is None or body["coverImageId"] in shown
        return shown
    # The page's body, in order; its head's link preview names the cover (og:image) first.
    text = answer.text
    return _mentioned(text[text.find("<body") :], w)


def _mentioned(text: str, w: World) -> list[str]:
    """File ids in the text, in order of first mention."""
    every = [f for mine in w.files for f in mine]
    found = sorted((text.find(f), f) for f in every if f in text)
    return [f for _, f in found]


def check_lists_and_files(w: World, client: httpx.Client, albums: list[Made]) -> None:
    for viewer, account in enumerate(w.accounts):
        listed = client.get("/api/v1/albums", params={"limit": 100}, headers=account.headers)
        assert listed.status_code == 200, listed.text
        theirs = {m.album_id for m in albums if m.spec.owner != viewer}
        assert not theirs & {a["id"] for a in listed.json()["albums"]}
        for file_id in private_of_others(w, viewer):
            for route in (f"/api/v1/files/{file_id}", f"/i/{file_id}", f"/f/{file_id}"):
                answer = client.get(route, headers=account.headers)
                assert answer.status_code == 404, (route, answer.status_code)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    visibilities=st.lists(
        VISIBILITY, min_size=ACCOUNTS * FILES_EACH, max_size=ACCOUNTS * FILES_EACH
    ),
    specs=st.lists(ALBUM, min_size=1, max_size=3),
)
def test_no_private_file_or_album_reaches_another_account(
    world: World, visibilities: list[str], specs: list[AlbumSpec]
) -> None:
    with world.server.client() as client:
        set_visibilities(world, client, visibilities)
        albums = [make_album(world, client, spec) for spec in specs]
        for made in albums:
            for viewer in [*range(ACCOUNTS), None]:
                check_album(world, client, made, viewer)
        check_lists_and_files(world, client, albums)
