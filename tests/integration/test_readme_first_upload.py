"""The README's "A first upload" runs as it is written: its shell blocks, pasted into bash in
an empty directory beside a served instance, succeed (curl -F, presign/PUT/finalize, an album,
an anonymous upload deleted with its token)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server import PichrServer, fresh_server, scratch_dir

pytestmark = pytest.mark.integration
README = Path(__file__).resolve().parents[2] / "README.md"
DEFAULT_BASE = "http://127.0.0.1:8787"


def first_upload_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## A first upload", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_has_the_blocks_this_test_runs() -> None:
    blocks = first_upload_blocks()
    assert len(blocks) >= 2
    assert "-F file=@hello.png" in blocks[0]
    assert "/upload/presign" in blocks[0]


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    # A reader's machine is idle: the answer comes after the analysis. On a loaded CI machine
    # it could come as a 202 first, and the next line's GET /i/{id} would be early (404).
    with fresh_server(pg_admin_url, "readme", PICHR_FINALIZE_WAIT_MS="120000") as server:
        yield server


def test_the_first_upload_blocks_run_as_written(served: PichrServer) -> None:
    script = "set -euo pipefail\n" + "\n".join(first_upload_blocks())
    script = script.replace(DEFAULT_BASE, served.base_url)  # the test server's own port
    with scratch_dir("readme") as here:
        (here / ".venv").mkdir()
        (here / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=here, env=served.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
        uploaded = json.loads((here / "upload.json").read_text())
        listed = json.loads((here / "files.json").read_text())
        album = json.loads((here / "album.json").read_text())
        copy = (here / "copy.png").read_bytes()
        anonymous = json.loads((here / "anonymous.json").read_text())
    assert (uploaded["status"], uploaded["width"], uploaded["height"]) == ("ready", 64, 64)
    assert len(listed["files"]) == 2
    assert album["url"].endswith(f"/a/{album['id']}")
    assert copy.startswith(b"\x89PNG")
    assert f"{served.base_url}/f/{uploaded['fileId']}" in done.stdout
    with served.client() as client:  # the anonymous upload was deleted with its token
        assert client.get(f"/i/{anonymous['fileId']}").status_code == 410
