"""Fifty clients add files to one album at the same moment: each file lands exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.server import PichrServer
from tests.integration.test_album_support import (
    album_of,
    album_server,
    create_album,
    file_ids,
    upload_many,
)

pytestmark = pytest.mark.integration

CLIENTS = 50


@pytest.fixture(scope="module")
def server(pg_admin_url: str) -> Iterator[PichrServer]:
    with album_server(pg_admin_url, "album-race") as served:
        yield served


def test_fifty_concurrent_adds_lose_no_file_and_count_each_once(server: PichrServer) -> None:
    owner = server.new_account()
    files = upload_many(server, owner, CLIENTS)
    with server.client() as client:
        album_id = create_album(client, owner)["id"]
    # Client i adds files i and i+1: every file is asked for twice, by two racing clients.
    wanted = [[files[i], files[(i + 1) % CLIENTS]] for i in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    answers: list[httpx.Response | BaseException] = [RuntimeError("not run")] * CLIENTS

    def add(i: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as c:
            try:
                barrier.wait(timeout=30)
                answers[i] = c.post(
                    f"/api/v1/albums/{album_id}/files",
                    json={"fileIds": wanted[i]},
                    headers=owner.headers,
                )
            except BaseException as exc:  # reported below
                answers[i] = exc

    threads = [threading.Thread(target=add, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    added = 0
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 200, answer.text
        assert answer.json()["requested"] == 2
        added += answer.json()["added"]
    with server.client() as client:
        listed = file_ids(album_of(client, album_id, owner))
        count = album_of(client, album_id, owner).json()["fileCount"]
    assert sorted(listed) == sorted(files)  # every file, none twice
    assert (added, count) == (CLIENTS, CLIENTS)  # `added` counted each file once in all
