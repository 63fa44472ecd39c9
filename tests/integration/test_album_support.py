"""Helpers shared by the album tests (no tests here): a server, uploads in parallel, albums."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.integration.server import (
    Account,
    PichrServer,
    fresh_server,
    image,
    upload,
)


@contextlib.contextmanager
def album_server(admin_url: str, label: str) -> Iterator[PichrServer]:
    """A `pichr serve` on a fresh database. The plans' hourly call limits are off: these tests
    make hundreds of anonymous calls from one address; the limits have tests of their own."""
    with fresh_server(
        admin_url, label, PICHR_RATE_LIMITS="false", PICHR_DB_POOL_SIZE="5"
    ) as server:
        yield server


def upload_many(server: PichrServer, who: Account, count: int, first_seed: int = 0) -> list[str]:
    """`count` finalized files of `who`, uploaded a few at a time; ids in seed order."""

    def one(seed: int) -> str:
        with server.client() as client:
            return upload(client, who, image(seed=seed)).file_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(one, range(first_seed, first_seed + count)))


def create_album(client: httpx.Client, who: Account, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/albums", json={"title": "An album", **body}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def album_of(
    client: httpx.Client,
    album_id: str,
    who: Account | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**(who.headers if who else {}), **(headers or {})}
    return client.get(f"/api/v1/albums/{album_id}", headers=sent)


def file_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["files"]]
