"""Fuzz the live server from its own OpenAPI document: no 5xx, and every answer matches it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.server import PichrServer, image, presign, upload

pytestmark = pytest.mark.integration
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Fixed so that CI is repeatable; set PICHR_FUZZ_SEED to explore other inputs.
SEED = os.environ.get("PICHR_FUZZ_SEED", "20251113")
MAX_EXAMPLES = os.environ.get("PICHR_FUZZ_EXAMPLES", "30")

CONFIG = """\
[dictionaries.files]
values = [{ids}]

# Half the generated file ids are real files (ready, private, pending), so the fuzzer gets past
# 404 into the routes' own logic; the other half stay random, malformed ones included.
[parameters]
"path.file_id" = {{ dictionary = "files", probability = 0.5 }}
"""


def test_fuzzed_requests_never_fail_on_the_server_and_match_the_schema(
    fs_server: PichrServer, tmp_path: Path
) -> None:
    who = fs_server.new_account(plan="enterprise")  # the fuzzer's calls stay under the limits
    with fs_server.client() as client:
        files = [
            upload(client, who, image(seed=1)).file_id,
            upload(client, who, image(seed=2), visibility="private").file_id,
            presign(client, who, image(seed=3)).file_id,
        ]
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(ids=", ".join(f'"{f}"' for f in files)))
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        f"{fs_server.base_url}/api/v1/schema/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--header",
        f"Authorization: Bearer {who.api_key}",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--request-timeout",
        "15",
        "--workers",
        "2",
        "--no-color",
    ]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False
    )
    report = done.stdout[-12000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout, report
