"""Fuzz the live server from its own OpenAPI document, every phase of schemathesis 4 (examples,
coverage, fuzzing, and the stateful phase that follows the document's links): no 5xx, and every
answer's status, media type and body are the ones the document gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server import PichrServer, fresh_server, image, presign, upload

pytestmark = pytest.mark.integration
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Fixed so that CI is repeatable; set PICHR_FUZZ_SEED to explore other inputs.
SEED = os.environ.get("PICHR_FUZZ_SEED", "20251113")
MAX_EXAMPLES = os.environ.get("PICHR_FUZZ_EXAMPLES", "100")
CHECKS = ",".join([
    "not_a_server_error", "response_schema_conformance", "status_code_conformance",
    "content_type_conformance", "ignored_auth",  # a key the document requires is required
    "allow_header_conformance",  # a 405 names every method the path has
])  # fmt: skip
# The fuzzer calls without a key and with bad ones too; the limits have tests of their own.
UNLIMITED = json.dumps({"anonymous": {"callsPerHour": 10**7, "uploadsPerHour": 10**7}})
# The operations that revoke keys and delete or re-plan accounts run only on what the run made
# itself (POST /admin/accounts, /admin/keys and their links): an id the fuzzer picked up from a
# listing could be its own key's or account's, and the rest of the run would be 401s.
OWN_CREDENTIALS = (
    "^(DELETE /api/v1/admin/(keys|accounts)/|PATCH /api/v1/admin/accounts/"
    "|POST /api/v1/admin/accounts/[^/]+/erase)"
)

CONFIG = """\
# Each run starts from the document alone, not from what an earlier run learned: repeatable.
[cache]
enabled = false

[generation]
database = "none"
# NUL bytes included: the path and query hygiene refuses them with 400 (api/middleware/hygiene.py).
allow-x00 = true

[dictionaries.files]
values = [{ids}]

# Half the generated file ids are real files (ready, private, pending), so the fuzzer gets past
# 404 into the routes' own logic; the other half stay random, malformed ones included.
[parameters]
"path.file_id" = {{ dictionary = "files", probability = 0.5 }}

# The stateful phase follows the document's own links only (api/wire/openapi_links.py).
[phases.stateful.inference]
algorithms = []

[[operations]]
include-name-regex = "{own}"
phases.examples.enabled = false
phases.coverage.enabled = false
phases.fuzzing.enabled = false
"""


@pytest.fixture(scope="module")
def fuzzed(pg_admin_url: str) -> Iterator[PichrServer]:
    extra = {"PICHR_PLANS": UNLIMITED, "PICHR_REPORTS_PER_HOUR": "1000000"}
    with fresh_server(pg_admin_url, "fuzz", **extra) as server:
        yield server


def test_fuzzed_requests_never_fail_on_the_server_and_match_the_schema(
    fuzzed: PichrServer, tmp_path: Path
) -> None:
    # An admin key of an enterprise account: the fuzzer reaches every route, under the limits.
    who = fuzzed.new_account(scopes="read,upload,write,admin", plan="enterprise")
    with fuzzed.client() as client:
        files = [
            upload(client, who, image(seed=1)).file_id,
            upload(client, who, image(seed=2), visibility="private").file_id,
            presign(client, who, image(seed=3)).file_id,
        ]
    config = tmp_path / "schemathesis.toml"
    ids = ", ".join(f'"{f}"' for f in files)
    config.write_text(CONFIG.format(ids=ids, own=OWN_CREDENTIALS))
    command = [
        SCHEMATHESIS, "--config-file", str(config), "run",
        f"{fuzzed.base_url}/api/v1/schema/openapi.json",
        "--phases", "examples,coverage,fuzzing,stateful", "--checks", CHECKS,
        "--header", f"Authorization: Bearer {who.api_key}",
        "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--request-timeout", "15",
        # One worker: CPython 3.11's ast.parse, which Hypothesis calls, is not thread-safe
        # (gh-106905: a spurious "AST constructor recursion depth mismatch").
        "--workers", "1", "--no-color",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    report = done.stdout[-12000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout, report
    links = re.search(r"API Links:\s+(\d+) covered", done.stdout)
    assert links is not None, report  # the stateful phase ran
    assert int(links.group(1)) > 0, report  # and followed the document's links
