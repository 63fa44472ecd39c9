"""The event feed and the export: the whole log, in order, in any page size, without personal
data; the export resumes where it stopped."""

from __future__ import annotations

import json
import random
import subprocess

import psycopg

from tests.integration.server import PICHR, PichrServer, image, upload


def log_positions(server: PichrServer) -> list[int]:
    with psycopg.connect(server.env["PICHR_DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT notification_id FROM pichr_events ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def test_feed_in_pages_of_random_sizes_equals_the_log_and_hides_emails(
    fs_server: PichrServer,
) -> None:
    admin = fs_server.new_account(scopes="admin")
    owner = fs_server.new_account()
    with fs_server.client() as client:
        for seed in range(3):
            upload(client, owner, image(seed=seed), title=f"t{seed}")
        seen: list[dict[str, object]] = []
        after, rng = 0, random.Random(7)
        while True:
            got = client.get(
                "/api/v1/admin/events",
                params={"after": after, "limit": rng.randint(1, 7)},
                headers=admin.headers,
            )
            assert got.status_code == 200, got.text
            page = got.json()
            seen += page["events"]
            if not page["events"]:
                assert page["next"] == after
                break
            after = page["next"]
        beyond = client.get("/api/v1/admin/events", params={"after": 10**9}, headers=admin.headers)
        assert beyond.status_code == 200
        assert beyond.json()["events"] == []
        forbidden = client.get("/api/v1/admin/events", headers=owner.headers)
        assert forbidden.status_code == 403
    # The server keeps writing (view and key-use tallies): compare up to the last page read.
    last = seen[-1]["position"]
    assert [e["position"] for e in seen] == [p for p in log_positions(fs_server) if p <= last]
    text = json.dumps(seen)
    assert "@test.invalid" not in text  # account e-mails are redacted
    assert any(e["type"] == "pichr.file.UploadFinalized.v1" for e in seen)
    assert all(e["aggregateId"].startswith("file_") for e in seen if "pichr.file." in e["type"])


def test_export_writes_the_log_as_json_lines_and_resumes_after_a_position(
    fs_server: PichrServer,
) -> None:
    fs_server.new_account()
    everything = _export(fs_server)
    end = everything[-1]["position"]  # the server may append tallies meanwhile
    assert [e["position"] for e in everything] == [p for p in log_positions(fs_server) if p <= end]
    cut = everything[len(everything) // 2]["position"]
    first = _export(fs_server, "--limit", str(len(everything) // 2 + 1))
    rest = _export(fs_server, "--after", str(cut))
    assert first[-1]["position"] == cut
    assert first + [e for e in rest if e["position"] <= end] == everything
    assert "@test.invalid" not in json.dumps(everything)


def _export(server: PichrServer, *args: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [PICHR, "events", "export", *args],
        env=server.env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.decode().splitlines() if line]
