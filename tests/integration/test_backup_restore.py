"""`pichr backup` under upload load, `pichr restore` into a fresh target: the same bytes under
the same keys, and the same history. On the embedded default (pgserver and filesystem blobs
under a data dir, restored into a fresh data dir) and on PostgreSQL + S3 (moto)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.pg import fresh_database
from tests.integration.s3server import S3Server, run_s3_server
from tests.integration.server import (
    PICHR,
    Account,
    PichrServer,
    fresh_server,
    image,
    run_server,
    scratch_dir,
    server_env,
    upload,
)

ANALYSIS_WAIT_S = 90.0


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
            served = _served(new, who, file_id)  # analyzed again if it was in the broker
            assert served.status_code == 200, served.text
            assert served.content == old.get(f"/i/{file_id}", headers=who.headers).content


def _served(client: httpx.Client, who: Account, file_id: str) -> httpx.Response:
    """The image, once its analysis ran: an upload finalized just before the backup is analyzed
    again after the restore (its job was in the broker, not in the archive)."""
    deadline = time.monotonic() + ANALYSIS_WAIT_S  # stops the poll; the test checks the answer
    while True:
        served = client.get(f"/i/{file_id}", headers=who.headers)
        if "processing" not in served.text or time.monotonic() > deadline:
            return served
        time.sleep(0.2)


def _history(server: PichrServer, file_id: str) -> list[str]:
    done = subprocess.run(
        [PICHR, "audit", "file", file_id], env=server.env, capture_output=True, check=True
    )
    return done.stdout.decode().splitlines()


def _tampered(archive: Path, out: Path) -> str:
    """A copy of `archive` with one blob's bytes changed (same size); that blob's key."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        changed = ""
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("blobs/") and not changed:
                changed, data = member.name.removeprefix("blobs/"), bytes([data[0] ^ 1]) + data[1:]
            dst.addfile(member, io.BytesIO(data))
    return changed


def test_a_blob_that_differs_from_the_log_restores_nothing(pg_admin_url: str) -> None:
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(fresh_server(pg_admin_url, "tamper-src"))
        who = source.new_account()
        with source.client() as client:
            upload(client, who, image(seed=7))
        archive = source.data_dir / "backup.tar"
        assert _pichr(source.env, "backup", str(archive))[0] == 0
        key = _tampered(archive, source.data_dir / "tampered.tar")
        target_dir = stack.enter_context(scratch_dir("tamper-dst"))
        target_url = stack.enter_context(fresh_database(pg_admin_url))
        env = server_env(target_url, target_dir)
        code, answer, _ = _pichr(env, "restore", str(source.data_dir / "tampered.tar"))
        assert code == 2
        assert answer["message"] == f"blob {key} does not match the sha256 the log records"
        with psycopg.connect(target_url) as conn:
            assert conn.execute("SELECT count(*) FROM pichr_events").fetchone() == (0,)
        assert [p for p in (target_dir / "blobs").rglob("*") if p.is_file()] == []
        assert _pichr(env, "restore", str(archive))[0] == 0  # still an empty target
