"""A file's history lists every operation in order; time travel answers past states."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.moderation.audit import file_as_of, file_history
from pichr.application.uploads.commands import Uploads
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.compose import report_index
from tests.integration.helpers import make_app
from tests.integration.server import PichrServer, image
from tests.integration.server import upload as http_upload
from tests.support.builders import image_bytes, new_owner, upload


def test_each_files_history_lists_every_operation_in_order(database_url: str) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    uploads, files, who = Uploads(app, InMemoryBlobStore()), FileCommands(app), new_owner()
    done = [upload(uploads, who, image_bytes(seed=i)).file_id for i in range(20)]
    expected: dict[str, list[str]] = {f: [] for f in done}
    rng = random.Random(11)
    for step in range(200):
        file_id = rng.choice(done)
        change = rng.choice(
            [
                {"title": f"t{step}"},
                {"tags": [f"x{step}"]},
                {"visibility": rng.choice(["public", "unlisted", "private"])},
            ]
        )
        files.update(who, file_id, change)
        expected[file_id].append(next(iter(change.values())).__repr__())
    for file_id in done:
        history = file_history(app, file_id, report_index(app))
        assert [h["type"].split(".")[2] for h in history[:3]] == [
            "UploadRequested",
            "UploadStored",
            "UploadFinalized",
        ]
        changes = [repr(next(iter(h["payload"]["changes"].values()))) for h in history[3:]]
        assert changes == expected[file_id]
        assert [h["version"] for h in history] == list(range(1, len(history) + 1))
        assert all(h["actor"] == who.actor for h in history)
    app.close()


def test_time_travel_answers_the_state_at_a_moment(fs_server: PichrServer) -> None:
    admin, owner = fs_server.new_account(scopes="admin"), fs_server.new_account()
    with fs_server.client() as client:
        made = http_upload(client, owner, image(seed=42), visibility="public")
        public_at = datetime.now(UTC)
        time.sleep(0.05)
        client.patch(
            f"/api/v1/files/{made.file_id}", json={"visibility": "private"}, headers=owner.headers
        )
        url = f"/api/v1/admin/files/{made.file_id}"
        then = client.get(url, params={"asOf": public_at.isoformat()}, headers=admin.headers)
        now = client.get(url, params={"asOf": datetime.now(UTC).isoformat()}, headers=admin.headers)
        before = client.get(
            url, params={"asOf": (public_at - timedelta(days=1)).isoformat()}, headers=admin.headers
        )
        history = client.get(f"{url}/history", headers=admin.headers)
        not_admin = client.get(f"{url}/history", headers=owner.headers)
    assert then.status_code == 200, then.text
    assert then.json()["state"]["visibility"] == "public"
    assert now.json()["state"]["visibility"] == "private"
    assert "upload_token_digest" not in then.json()["state"]
    assert before.status_code == 404
    assert [e["type"] for e in history.json()["events"]][-1] == "pichr.file.MetadataUpdated.v1"
    assert not_admin.status_code == 403


def test_as_of_needs_a_valid_time(database_url: str) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    done = upload(Uploads(app, InMemoryBlobStore()), new_owner(), image_bytes())
    state = file_as_of(app, done.file_id, datetime.now(UTC))
    assert state["state"]["status"] == "ready"
    app.close()
