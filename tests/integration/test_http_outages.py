"""Backing services go away and come back: the server answers 503 while they are down (it does
not hold the call until they return), then recovers alone."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import httpx
import pytest
from minio import Minio

from tests.integration.s3server import S3Server
from tests.integration.server import (
    Account,
    PichrServer,
    ThrowawayPostgres,
    assert_error,
    finalize,
    image,
    presign,
    put_bytes,
    upload,
)

pytestmark = pytest.mark.integration
OUTAGE_TIMEOUT_S = 15.0  # the client gives up on a call held this long: the server hung
RECOVERY_S = 20.0


def recovers(probe: Callable[[], httpx.Response], seconds: float = RECOVERY_S) -> httpx.Response:
    """Poll until the probe answers 200; the last answer (transport errors count as not yet)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = probe()
        except httpx.TransportError:
            answer = None
        if (answer is not None and answer.status_code == 200) or time.monotonic() > deadline:
            assert answer is not None, "the server stopped answering"
            return answer
        time.sleep(0.25)


def answered_while_down(probe: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer to a call made during the outage. The service stays down until the test
    brings it back, so a server that waited for it instead of answering 503 never answers:
    the client gives up at OUTAGE_TIMEOUT_S and the test fails (no stopwatch needed)."""
    try:
        return probe()
    except httpx.TimeoutException as exc:
        raise AssertionError("the server held the call instead of answering the outage") from exc


def test_database_outage_is_a_503_and_the_server_recovers_without_restart(
    throwaway_pg: ThrowawayPostgres, pg_served: PichrServer
) -> None:
    who = pg_served.new_account()
    body = {"filename": "a.png", "mime": "image/png", "bytes": 100}
    with pg_served.client(timeout=OUTAGE_TIMEOUT_S) as client:

        def list_files() -> httpx.Response:
            return client.get("/api/v1/files", headers=who.headers)

        def ask_presign(headers: dict[str, str]) -> httpx.Response:
            return client.post("/api/v1/upload/presign", json=body, headers=headers)

        before = upload(client, who, image(seed=1))
        throwaway_pg.stop()
        assert_error(answered_while_down(list_files), 503)
        assert_error(answered_while_down(lambda: ask_presign(who.headers)), 503)  # the key lookup
        assert_error(answered_while_down(lambda: ask_presign({})), 503)  # the command itself
        assert_error(
            answered_while_down(lambda: client.get(f"/api/v1/files/{before.file_id}")), 503
        )
        assert_error(answered_while_down(lambda: client.get("/ready")), 503)

        throwaway_pg.start()
        assert recovers(list_files).status_code == 200
        assert recovers(lambda: client.get("/ready")).status_code == 200
        assert ask_presign(who.headers).status_code == 200
        assert ask_presign({}).status_code == 200
        after = upload(client, who, image(seed=2))  # commands, projections and waits all work
        listed = [f["id"] for f in list_files().json()["files"]]
        assert {before.file_id, after.file_id} <= set(listed)


class BucketSnapshot:
    """moto keeps objects in memory only; a real store keeps them through an outage.

    The test snapshots the bucket before stopping moto and puts it back after the restart, so
    that what it then checks is the server's recovery, not moto's amnesia.
    """

    def __init__(self, moto: S3Server, bucket: str) -> None:
        self.client = Minio(
            moto.endpoint, access_key=moto.access_key, secret_key=moto.secret_key, secure=False
        )
        self.bucket = bucket
        self.objects: dict[str, bytes] = {}
        for obj in self.client.list_objects(bucket, recursive=True):
            assert obj.object_name is not None
            response = self.client.get_object(bucket, obj.object_name)
            try:
                self.objects[obj.object_name] = response.read()
            finally:
                response.close()
                response.release_conn()

    def restore(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)
        for key, data in self.objects.items():
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))


def test_blob_store_outage_is_a_503_and_the_server_recovers_without_restart(
    moto: S3Server, s3_served: PichrServer
) -> None:
    who: Account = s3_served.new_account()
    with s3_served.client(timeout=OUTAGE_TIMEOUT_S) as client:
        data = image(seed=3)
        before = upload(client, who, data)
        pending = presign(client, who, image(seed=4))  # presign needs no blob store
        snapshot = BucketSnapshot(moto, s3_served.env["PICHR_S3_BUCKET"])
        assert any(before.file_id in key for key in snapshot.objects)
        moto.stop()
        assert_error(answered_while_down(lambda: put_bytes(client, who, pending)), 503)
        assert_error(answered_while_down(lambda: client.get(f"/i/{before.file_id}")), 503)
        assert_error(answered_while_down(lambda: client.get("/ready")), 503)

        moto.start()
        snapshot.restore()
        served = recovers(lambda: client.get(f"/i/{before.file_id}"))
        assert served.status_code == 200
        assert served.content == data
        assert recovers(lambda: put_bytes(client, who, pending)).status_code == 200
        assert finalize(client, who, pending).status_code == 200
