"""A multipart upload survives a server restart; after the clean-up nothing stray is stored.

Real `pichr serve` processes on each blob backend (filesystem and S3 on moto).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.port import BlobStore
from pichr.application.blobs.s3 import S3BlobStore
from pichr.application.cleanup.jobs import Cleanup, abandon_stale, purge_due, sweep_orphans
from pichr.application.uploads.plans import DEFAULT_PLANS
from pichr.application.uploads.quota import Quotas
from pichr.projections.queries.for_commands import FileCandidates
from tests.integration import multipart_helpers as mp
from tests.integration.helpers import catch_up_all, make_app
from tests.integration.s3server import require_configured
from tests.integration.server import Account, PichrServer, assert_error

pytestmark = pytest.mark.integration


@pytest.fixture
def client(server: PichrServer) -> Iterator[httpx.Client]:
    with server.client(timeout=60) as c:
        yield c


@pytest.fixture(autouse=True)
def _s3_has_multipart_listing(server: PichrServer) -> None:
    if "PICHR_S3_ENDPOINT" in server.env:  # the API's multipart upload lists and aborts parts
        require_configured("ListParts", "AbortMultipartUpload")


def store_of(server: PichrServer) -> BlobStore:
    env = server.env
    if "PICHR_S3_ENDPOINT" not in env:
        return FilesystemBlobStore(server.blob_root)
    return S3BlobStore(
        env["PICHR_S3_ENDPOINT"],
        env["PICHR_S3_BUCKET"],
        env["PICHR_S3_ACCESS_KEY"],
        env["PICHR_S3_SECRET_KEY"],
    )


def test_an_upload_resumes_after_the_server_restarts(
    server: PichrServer, client: httpx.Client, owner: Account
) -> None:
    data = mp.noise_png()
    made = mp.started(client, owner, data)
    first = mp.send_parts(client, owner, made, data, numbers=[1])
    server.stop()
    server.start()
    state = mp.status(client, owner, made["uploadId"]).json()
    assert [(p["partNumber"], p["etag"]) for p in state["parts"]] == [(1, first[0]["etag"])]
    urls = {p["partNumber"]: p["uploadUrl"] for p in state["pending"]}
    assert list(urls) == [2]
    rest = mp.send_parts(client, owner, made, data, numbers=[2], urls=urls)
    assert mp.complete(client, owner, made, first + rest).status_code == 200
    assert mp.finalize(client, owner, made).status_code in (200, 202)
    assert client.get(f"/i/{made['fileId']}").content == data


def test_after_bad_uploads_and_the_clean_up_only_live_files_are_stored(
    server: PichrServer, client: httpx.Client, owner: Account
) -> None:
    data = mp.noise_png()
    made = [mp.started(client, owner, data) for _ in range(4)]
    # 0: parts refused (wrong size, bad checksum), then left open; 1: aborted;
    # 2: joined bytes that are no image; 3: completed but never finalized.
    route = f"/api/v1/upload/multipart/{made[0]['uploadId']}/parts"
    assert_error(mp.put_part(client, owner, f"{route}/1", b"short"), 400)
    bad_md5 = {"Content-MD5": base64.b64encode(hashlib.md5(b"x").digest()).decode()}  # noqa: S324
    assert_error(
        mp.put_part(client, owner, f"{route}/2", mp.chunk_of(made[0], data, 2), bad_md5), 400
    )
    mp.send_parts(client, owner, made[0], data, numbers=[1])
    mp.send_parts(client, owner, made[1], data, numbers=[2])
    assert mp.abort(client, owner, made[1]["uploadId"]).status_code == 200
    junk = bytes(len(data))
    assert_error(
        mp.complete(client, owner, made[2], mp.send_parts(client, owner, made[2], junk)), 415
    )
    assert (
        mp.complete(client, owner, made[3], mp.send_parts(client, owner, made[3], data)).status_code
        == 200
    )
    store = store_of(server)
    store.initiate_multipart("uploads/stray/never-recorded.png")  # an init that never committed

    url = server.env["PICHR_DATABASE_URL"]
    wait_for_analysis(url)  # a derived blob being written now would look like an orphan
    app = make_app(url)
    try:
        catch_up_all(url)
        janitor = Cleanup(app, store, Quotas(app, DEFAULT_PLANS), url, FileCandidates(url))
        later = datetime.now(UTC) + timedelta(hours=25)
        abandon_stale(janitor, later)
        purge_due(janitor, later)
        sweep_orphans(janitor, later)
    finally:
        app.close()
    assert sorted(store.keys()) == sorted(live_keys(url))
    assert list(store.multipart_uploads()) == []
    # Abandoned uploads are gone (410); the rejected one was never a file for anyone (404).
    for upload, status in zip(made, (410, 410, 404, 410), strict=True):
        path = f"/api/v1/files/{upload['fileId']}"
        answer = eventually(lambda p=path: client.get(p, headers=owner.headers).status_code, status)
        assert answer == status, upload


def eventually(probe: Callable[[], object], expected: object, seconds: float = 5.0) -> object:
    deadline = time.monotonic() + seconds
    while (value := probe()) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def wait_for_analysis(database_url: str, seconds: float = 30.0) -> None:
    query = (
        "SELECT count(*) FROM file_listing WHERE status = 'ready'"
        " AND analyzed_at IS NULL AND analysis_error IS NULL"
    )
    deadline = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as conn:
        while (row := conn.execute(query).fetchone()) and row[0] and time.monotonic() < deadline:
            time.sleep(0.2)


def live_keys(database_url: str) -> list[str]:
    """Every blob a ready file may own (its object and whatever the worker derived), once:
    an original with nothing to strip is its own rendition."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT blob_key, rendition_key, thumbnail_key FROM file_listing WHERE status = 'ready'"
        ).fetchall()
    return sorted({key for row in rows for key in row if key})
