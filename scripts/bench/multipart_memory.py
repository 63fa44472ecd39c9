"""Multipart memory: a 1 GiB upload through this server's part route must raise the server
worker's RSS by less than 50 MB, parts and `complete` (which reads the joined object back).

Runs `pichr serve` on filesystem blobs (where parts go through the API), samples the granian
worker's RSS every 50 ms, and prints the figures. A benchmark, not a test: no assertion.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

from scripts.bench.common import (
    free_port,
    make_key,
    running,
    scratch_database,
    server_env,
    small_jpeg,
)
from scripts.bench.put_memory import Sampler, worker_pid

MB = 1024 * 1024
TARGET_MB = 50.0
CHUNK = 256 * 1024


def part_body(number: int, size: int) -> Iterator[bytes]:
    """Part 1 opens with a real JPEG header (complete sniffs the type); the rest is padding."""
    head = small_jpeg(1) if number == 1 else b""
    yield head
    left, pad = size - len(head), bytes(CHUNK)
    while left > 0:
        yield pad[: min(CHUNK, left)]
        left -= CHUNK


def idle_rss(pid: int) -> float:
    idle = Sampler(pid)
    idle.start()
    time.sleep(1.0)
    idle.stopping.set()
    idle.join()
    return statistics.median(idle.samples)


def upload(client: httpx.Client, total: int, part_mb: int) -> tuple[int, float, float]:
    """The number of parts, and the seconds spent sending them and completing."""
    body = {"filename": "big.jpg", "mime": "image/jpeg", "totalBytes": total,
            "partSize": part_mb * MB}  # fmt: skip
    made = client.post("/api/v1/upload/multipart/init", json=body).raise_for_status().json()
    started = time.perf_counter()
    parts = []
    for part in made["parts"]:
        n = part["partNumber"]
        size = min(part_mb * MB, total - (n - 1) * part_mb * MB)
        r = client.put(part["uploadUrl"], content=part_body(n, size),
                       headers={"Content-Length": str(size)})  # fmt: skip
        parts.append({"partNumber": n, "etag": r.raise_for_status().json()["etag"]})
    sent = time.perf_counter() - started
    started = time.perf_counter()
    done = client.post("/api/v1/upload/multipart/complete", json={
        "uploadId": made["uploadId"], "fileId": made["fileId"], "parts": parts})  # fmt: skip
    done.raise_for_status()
    joined = time.perf_counter() - started
    return len(parts), sent, joined


def run(size_mb: int, part_mb: int) -> None:
    total = size_mb * MB
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        plans = json.dumps({"enterprise": {"maxFileBytes": 4 * total}})
        env = server_env(url, tmp, free_port(), PICHR_RATE_LIMITS="false",
                         PICHR_MAX_UPLOAD_BYTES=str(4 * total), PICHR_PLANS=plans)  # fmt: skip
        server = stack.enter_context(running(env))
        key = make_key(env)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=600) as client:
            pid = worker_pid(server)
            baseline = idle_rss(pid)
            sampler = Sampler(pid)
            sampler.start()
            count, sent, joined = upload(client, total, part_mb)
            time.sleep(0.2)
            sampler.stopping.set()
            sampler.join()
    peak = max(sampler.samples)
    growth = peak - baseline
    verdict = "meets" if growth < TARGET_MB else "MISSES"
    print(f"multipart through the part route (filesystem blobs): {size_mb} MiB in"
          f" {count} parts of {part_mb} MiB")  # fmt: skip
    print(f"  parts: {size_mb / sent:,.0f} MiB/s; complete (join + read-back sha256):"
          f" {joined:.1f} s ({size_mb / joined:,.0f} MiB/s)")  # fmt: skip
    print(f"  worker RSS baseline {baseline:.1f} MiB, peak {peak:.1f} MiB"
          f" ({len(sampler.samples)} samples), growth {growth:.1f} MiB"
          f" ({verdict} the target < {TARGET_MB:g} MB)", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size-mb", type=int, default=1024, help="upload size in MiB (1024)")
    p.add_argument("--part-mb", type=int, default=64, help="part size in MiB (64)")
    args = p.parse_args(argv)
    run(args.size_mb, args.part_mb)


if __name__ == "__main__":
    main()
