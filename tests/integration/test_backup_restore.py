"""`pichr backup` under upload load, `pichr restore` into a fresh target: the same bytes under
the same keys, and the same history. On the embedded default (pgserver and filesystem blobs
under a data dir, restored into a fresh data dir) and on PostgreSQL + S3 (moto)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.pg import fresh_database
from tests.integration.s3server import S3Server, run_s3_server
from tests.integration.server import (
    PICHR,
    Account,
    PichrServer,
    image,
    run_server,
    scratch_dir,
    server_env,
    upload,
)


def _pichr(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run([PICHR, *args], env=env, capture_output=True, timeout=300, check=False)
    lines = done.stdout.decode().strip().splitlines()
    return done.returncode, json.loads(lines[-1]) if lines else {}, done.stderr.decode()


@pytest.fixture(params=["embedded", "postgres+s3"])
def s3(request: pytest.FixtureRequest) -> Iterator[S3Server | None]:
    with run_s3_server() if request.param != "embedded" else contextlib.nullcontext() as served:
        yield served


@contextlib.contextmanager
def database(admin_url: str, s3: S3Server | None) -> Iterator[str]:
    """A fresh database; "" (the embedded default under the data dir) beside no S3."""
    with fresh_database(admin_url) if s3 is not None else contextlib.nullcontext("") as url:
        yield url


def _listing(client: httpx.Client, who: Account) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for offset in range(0, 1000, 100):
        page = client.get(
            "/api/v1/files", params={"limit": 100, "offset": offset}, headers=who.headers
        ).json()
        files.update({f["id"]: f for f in page["files"]})
        if not page["pagination"]["hasMore"]:
            return files
    return files


@contextlib.contextmanager
def uploads_meanwhile(server: PichrServer, who: Account) -> Iterator[list[str]]:
    """Uploads one after another in a thread until the block ends; their file ids."""
    made: list[str] = []
    stop = threading.Event()

    def run() -> None:
        with server.client() as client:
            while not stop.is_set():
                made.append(upload(client, who, image(seed=100 + len(made))).file_id)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        stop.set()
        thread.join(timeout=60)


def test_backup_under_load_restores_same_bytes_keys_and_history(
    pg_admin_url: str, s3: S3Server | None
) -> None:
    with contextlib.ExitStack() as stack:
        source_dir = stack.enter_context(scratch_dir("backup-src"))
        source = stack.enter_context(
            run_server(
                stack.enter_context(database(pg_admin_url, s3)),
                source_dir,
                s3,
                PICHR_RATE_LIMITS="false",  # the load outlasts a plan's hourly uploads
            )
        )
        who = source.new_account()
        with source.client() as client:
            before = [upload(client, who, image(seed=i)).file_id for i in range(6)]
        archive = source_dir / "backup.tar"
        with uploads_meanwhile(source, who) as made:
            code, summary, err = _pichr(source.env, "backup", str(archive))
        assert code == 0, err
        assert summary["blobs"] >= 2 * len(before)  # each file: its bytes and derived images
        assert made, "uploads ran while the backup was taken"

        target_dir = stack.enter_context(scratch_dir("backup-dst"))
        target_url = stack.enter_context(database(pg_admin_url, s3))
        env = server_env(target_url, target_dir, s3)
        if s3 is not None:
            env["PICHR_S3_BUCKET"] = "restored-" + uuid.uuid4().hex[:8]
        code, restored, err = _pichr(env, "restore", str(archive))
        assert code == 0, err
        assert restored["logHead"] == summary["logHead"]
        assert restored["verified"] == summary["blobs"]
        code, again, _ = _pichr(env, "restore", str(archive))
        assert code == 2
        assert "empty target" in again["message"]

        target = stack.enter_context(run_server(target_url, target_dir, s3, **_bucket(env)))
        _same_files(source, target, who, before)
        for file_id in before[:2]:
            assert _history(source, file_id) == _history(target, file_id)


def _bucket(env: dict[str, str]) -> dict[str, str]:
    return {"PICHR_S3_BUCKET": env["PICHR_S3_BUCKET"]} if "PICHR_S3_BUCKET" in env else {}


def _same_files(source: PichrServer, target: PichrServer, who: Account, before: list[str]) -> None:
    with source.client() as old, target.client() as new:
        listed = _listing(new, who)
        assert set(before) <= set(listed)  # the key still works: the same account's listing
        for file_id in listed:
            served = new.get(f"/i/{file_id}", headers=who.headers)
            assert served.status_code == 200, served.text
            assert served.content == old.get(f"/i/{file_id}", headers=who.headers).content


def _history(server: PichrServer, file_id: str) -> list[str]:
    done = subprocess.run(
        [PICHR, "audit", "file", file_id], env=server.env, capture_output=True, check=True
    )
    return done.stdout.decode().splitlines()
