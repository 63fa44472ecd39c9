"""A large upload must stream: the process's peak memory may not grow with the body's size."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.s3 import S3BlobStore
from tests.integration.s3server import S3Server, run_s3_server
from tests.integration.test_blob_contract import ChunkedBody, MiB

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pichr.application.blobs.port import BlobStore

pytestmark = pytest.mark.integration

BODY_MIB = 200
ALLOWED_GROWTH_MIB = 30


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    # moto runs in its own process, so the bytes it keeps are not counted against us.
    with run_s3_server() as server:
        yield server


def status_kib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
    assert match is not None, f"{field} missing from /proc/self/status"
    return int(match.group(1))


def reset_peak_rss() -> int:
    # "5" resets VmHWM to the current RSS (Linux >= 4.0): earlier tests' peaks must not hide ours.
    Path("/proc/self/clear_refs").write_text("5")
    return status_kib("VmHWM")


def fresh_chunks(count: int, size: int = 256 * 1024) -> Iterator[bytes]:
    # A new object per chunk, as a network stream delivers them (a reused buffer would hide
    # copies that hold chunks); each is freed once consumed, so the generator holds none.
    for i in range(count):
        yield bytes([i % 256]) * size


@pytest.mark.parametrize("length_known", [False, True], ids=["unknown-length", "known-length"])
@pytest.mark.parametrize("adapter", ["fs", "s3"])
def test_200_mib_put_keeps_peak_memory_flat(
    adapter: str, length_known: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store: BlobStore
    if adapter == "fs":
        store = FilesystemBlobStore(tmp_path / "blobs")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        bucket = f"pichr-flat-{uuid.uuid4().hex[:16]}"
        store = S3BlobStore(server.endpoint, bucket, server.access_key, server.secret_key)
    # Warm up imports, connections and the bucket so only the streaming itself is measured.
    store.put("warmup", io.BytesIO(b"x"))

    baseline_kib = reset_peak_rss()
    body = ChunkedBody(fresh_chunks(BODY_MIB * 4))
    info = store.put("big/blob", body, length=BODY_MIB * MiB if length_known else None)
    growth_mib = (status_kib("VmHWM") - baseline_kib) / 1024

    assert info.size == BODY_MIB * MiB
    assert store.stat("big/blob").size == BODY_MIB * MiB
    assert growth_mib < ALLOWED_GROWTH_MIB, f"peak RSS grew {growth_mib:.1f} MiB"
