"""s3rver (npm), a second S3 implementation for the tests (s3server.py starts it).

Installed under build/s3rver (not committed) by `python -m tests.integration.s3rver`, which
scripts/test.sh runs when npm is there; PICHR_TEST_S3RVER names another copy of its `s3rver`
script. Needs node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "3.7.1"
INSTALL_DIR = Path(__file__).resolve().parents[2] / "build" / "s3rver"
# What s3rver 3.7 does not implement (it answers MethodNotAllowed or NotImplemented), and
# NoSuchUpload: it takes a part for any upload id, open or not.
S3RVER_LACKS = frozenset(
    {"ListParts", "AbortMultipartUpload", "ListMultipartUploads", "NoSuchUpload"}
)


def s3rver_script() -> Path | None:
    """The installed `s3rver` script, or None (not installed, or no node to run it)."""
    if shutil.which("node") is None:
        return None
    named = os.environ.get("PICHR_TEST_S3RVER")
    script = Path(named) if named else INSTALL_DIR / "node_modules" / ".bin" / "s3rver"
    return script if script.exists() else None


def missing_reason() -> str:
    if shutil.which("node") is None:
        return "s3rver needs node, which is not installed"
    return f"s3rver is not installed: run `{sys.executable} -m tests.integration.s3rver`"


def s3rver_command(host: str, port: int, data_dir: Path) -> list[str]:
    script = s3rver_script()
    if script is None:
        raise RuntimeError(missing_reason())
    return [
        "node", str(script), "--directory", str(data_dir), "--address", host,
        "--port", str(port), "--silent", "--no-vhost-buckets",
    ]  # fmt: skip


def install() -> Path:
    """npm-install s3rver under build/ (a no-op when it is there)."""
    found = s3rver_script()
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("installing s3rver needs node and npm")
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(INSTALL_DIR),
         f"s3rver@{VERSION}"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    script = s3rver_script()
    if script is None:
        raise RuntimeError(f"npm installed s3rver, but not under {INSTALL_DIR}")
    return script


if __name__ == "__main__":
    print(install())
