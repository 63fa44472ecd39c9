"""`pichr reanalyze` runs finalized files through the current pipeline and records new results
as events; a second run records nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from pichr.application.imaging.nsfw import bundled_model
from tests.integration.server import PICHR, PichrServer, image, upload


def test_reanalyze_with_a_new_model_records_new_results_once(
    fs_server: PichrServer, tmp_path: Path
) -> None:
    owner, admin = fs_server.new_account(), fs_server.new_account(scopes="admin")
    with fs_server.client() as client:
        made = upload(client, owner, image(seed=77, size=(64, 48)))
    retrained = tmp_path / "open_nsfw_retrained.onnx"  # same weights, a new name: a new model
    shutil.copy(bundled_model(), retrained)
    env = {**fs_server.env, "PICHR_NSFW_MODEL": str(retrained)}

    def run() -> dict[str, int]:
        done = subprocess.run(
            [PICHR, "reanalyze", "--since", "2000-01-01"],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
        result: dict[str, int] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return result

    first, second = run(), run()
    assert first["files"] >= 1
    assert first["reanalyzed"] == first["files"]
    assert second["reanalyzed"] == 0
    with fs_server.client() as client:
        history = client.get(f"/api/v1/admin/files/{made.file_id}/history", headers=admin.headers)
    events = history.json()["events"]
    redone = [e for e in events if e["type"] == "pichr.file.ImageReanalyzed.v1"]
    assert len(redone) == 1
    [first_run] = [e for e in events if e["type"] == "pichr.file.ImageAnalyzed.v1"]
    assert redone[0]["payload"]["model"] != first_run["payload"]["model"]  # the new model's
    assert redone[0]["actor"] == "system:reanalysis"
