"""`pichr replay` while the API is under load: every request is served, and the switched
tables equal a from-scratch rebuild."""

from __future__ import annotations

import subprocess
import threading
import time

import psycopg

from pichr.projections.log.replay import checksums, rebuild
from pichr.projections.views.registry import all_projections
from tests.integration.server import PICHR, Account, PichrServer, image, upload


def test_replay_while_serving_answers_every_request_and_ends_equal_to_a_rebuild(
    fs_server: PichrServer,
) -> None:
    account = fs_server.cli(
        "accounts", "create", "--email", "load@test.invalid", "--plan", "enterprise"
    )  # the free plan's 1,000 calls an hour would not do
    key = fs_server.cli("keys", "create", "--account", account["id"])
    owner = Account(account_id=account["id"], key_id=key["id"], api_key=key["apiKey"])
    with fs_server.client() as client:
        files = [upload(client, owner, image(seed=s), title=f"t{s}").file_id for s in range(8)]
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def load() -> None:
        with fs_server.client() as client:
            step = 0
            while not stop.is_set():
                step += 1
                file_id = files[step % len(files)]
                got = client.get(f"/api/v1/files/{file_id}", headers=owner.headers)
                listed = client.get("/api/v1/files", params={"limit": 5}, headers=owner.headers)
                patched = client.patch(
                    f"/api/v1/files/{file_id}", json={"title": f"s{step}"}, headers=owner.headers
                )
                failures.extend(
                    f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:200]}"
                    for r in (got, listed, patched)
                    if r.status_code != 200
                )
                served[0] += 3

    workers = [threading.Thread(target=load) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        for _ in range(2):
            done = subprocess.run(
                [PICHR, "replay"], env=fs_server.env, capture_output=True, timeout=120, check=False
            )
            assert done.returncode == 0, done.stderr.decode()[-2000:]
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert failures == []
    assert served[0] > 30
    url = fs_server.env["PICHR_DATABASE_URL"]
    # The server records key use and views in batches a moment after the last request.
    time.sleep(4 * float(fs_server.env["PICHR_TALLY_FLUSH_SECONDS"]) + 0.5)
    for projection in all_projections():
        _settled(url, projection.name)
        with psycopg.connect(url) as conn:
            live = checksums(conn, projection)
        rebuild(url, projection)
        with psycopg.connect(url) as conn:
            assert checksums(conn, projection) == live, projection.name


def _settled(url: str, name: str) -> None:
    """The live runner has folded everything written so far."""
    for _ in range(200):
        with psycopg.connect(url) as conn:
            head = conn.execute("SELECT max(notification_id) FROM pichr_events").fetchone()
            pos = conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (name,)
            ).fetchone()
        if head and pos and pos[0] >= (head[0] or 0):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} did not catch up")
