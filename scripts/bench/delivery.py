"""Image delivery: `GET /i/{id}` against a bare route handing the same file to granian by path.

Ours is `pichr serve` (the access decision, the hotlink policy, view counting, then the bytes
by `http.response.pathsend`); the baseline is scripts/bench/bare_pathsend.py in another granian
process, sending the very file ours sends. Both run under `wrk -t2 -c64` in interleaved rounds;
the script prints the medians and the ratio, for filesystem blobs and for S3 blobs (moto) after
the first hit has put the blob in the hot cache, and for a cached `?w=320` variant (rendered by
the first hit, then served like an original) against the bare route sending that variant's
file. Then memory: 64 concurrent range requests
over a 200 MB original must raise the worker's RSS by less than 30 MB (S3, then filesystem).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from scripts.bench.common import (
    Server,
    free_port,
    interleaved,
    make_key,
    presign,
    require_wrk,
    running,
    scratch_database,
    server_env,
    wrk,
)
from scripts.bench.put_memory import Sampler, worker_pid

TARGET_RATIO = 0.7
TARGET_MB = 30.0
MB = 1024 * 1024


def photo(target: int = 250_000) -> bytes:
    """A JPEG of about `target` bytes: noise compresses badly, so size follows the pixels."""
    from PIL import Image  # noqa: PLC0415

    rng = random.Random(7)
    side = 200
    while True:
        image = Image.frombytes("RGB", (side, side * 3 // 4), rng.randbytes(side * side * 9 // 4))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        if out.tell() >= target:
            return out.getvalue()
        side += 20


def big_png(side: int) -> bytes:
    """An uncompressed PNG of side x side RGB pixels (3 * side**2 bytes and a little)."""
    from PIL import Image  # noqa: PLC0415

    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 150)).save(out, "PNG", compress_level=0)
    return out.getvalue()


def publish(server: Server, key: str, data: bytes, mime: str) -> str:
    """presign -> PUT -> finalize, then wait until /i serves it; the file id."""
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=600) as client:  # fmt: skip
        name = "bench.png" if mime == "image/png" else "bench.jpg"
        made = presign(client, name, mime, len(data))
        client.put(made["uploadUrl"], content=data).raise_for_status()
        body = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
        client.post("/api/v1/upload/finalize", json=body).raise_for_status()
        file_id = str(made["fileId"])
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            first = httpx.get(f"{server.base}/i/{file_id}", headers={"Range": "bytes=0-0"})
            status = first.status_code
            if status == 206:
                return file_id
            if status not in (404, 503):
                sys.exit(f"/i/{file_id} answered {status}: not a public image to measure")
            time.sleep(0.5)
    sys.exit(f"/i/{file_id} never became ready")


def rendition_key(database_url: str, file_id: str) -> str:
    with psycopg.connect(database_url) as conn:
        sql = "SELECT rendition_key FROM file_listing WHERE id = %s"
        row = conn.execute(sql, (file_id,)).fetchone()
    if row is None or not row[0]:
        sys.exit(f"{file_id} has no rendition")
    return str(row[0])


@contextmanager
def bare(path: Path, mime: str) -> Iterator[Server]:
    port = free_port()
    env = os.environ | {"BENCH_FILE": str(path), "BENCH_MIME": mime, "PICHR_PORT": str(port)}
    argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host",
            "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws",
            "scripts.bench.bare_pathsend:app"]  # fmt: skip
    server = Server(env, argv)
    try:
        _wait_file(server)
        yield server
    finally:
        server.stop()


def _wait_file(server: Server) -> None:
    url = server.base + "/file"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.proc.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"the bare server did not answer {url}:\n{server.tail()}")


def compare(label: str, ours: str, baseline: str, args: argparse.Namespace) -> float:
    got = httpx.get(ours)
    want = httpx.get(baseline)
    if got.status_code != 200 or got.content != want.content:
        sys.exit(f"{label}: ours and the baseline do not send the same bytes")
    measures = {
        "bare pathsend": lambda: wrk(baseline, duration=args.duration),
        "/i/{id}": lambda: wrk(ours, duration=args.duration),  # a query string: the handler
    }
    medians = interleaved(args.rounds, measures)
    ratio = medians["/i/{id}"] / medians["bare pathsend"]
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"{label}: /i/{{id}} {medians['/i/{id}']:,.0f} req/s, bare pathsend"
          f" {medians['bare pathsend']:,.0f} req/s: ratio {ratio:.2f}"
          f" ({verdict} the target {TARGET_RATIO}); {len(got.content):,} bytes;"
          f" load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    return ratio


def s3_env(stack: ExitStack) -> dict[str, str]:
    from tests.integration.s3server import run_s3_server  # noqa: PLC0415

    s3 = stack.enter_context(run_s3_server())
    return {"PICHR_S3_ENDPOINT": s3.endpoint, "PICHR_S3_BUCKET": "pichr-bench",
            "PICHR_S3_ACCESS_KEY": s3.access_key, "PICHR_S3_SECRET_KEY": s3.secret_key}  # fmt: skip


def speed(args: argparse.Namespace, *, s3: bool) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = server_env(url, tmp, free_port(), **(s3_env(stack) if s3 else {}))
        server = stack.enter_context(running(env))
        file_id = publish(server, make_key(env), photo(), "image/jpeg")
        ours = f"{server.base}/i/{file_id}"
        if s3:
            httpx.get(ours).raise_for_status()  # the first hit fills the hot cache
            cached = [p for p in (tmp / "cache").rglob("*") if p.is_file() and p.name[0] != "."]
            assert len(cached) == 1, cached  # noqa: S101
            path = cached[0]
        else:
            path = tmp / "blobs" / rendition_key(url, file_id)
        baseline = stack.enter_context(bare(path, "image/jpeg"))
        compare("S3 blobs (moto), cached" if s3 else "filesystem blobs", ours,
                baseline.base + "/file", args)  # fmt: skip


def variant_speed(args: argparse.Namespace) -> None:
    """`/i/{id}?w=320` once rendered (filesystem blobs) against the bare route sending it."""
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = stack.enter_context(running(server_env(url, tmp, free_port())))
        file_id = publish(server, make_key(server.env), photo(), "image/jpeg")
        ours = f"{server.base}/i/{file_id}?w=320"
        httpx.get(ours, timeout=60).raise_for_status()  # the first hit renders and stores it
        made = [p for p in (tmp / "blobs").rglob(f"*{file_id}/v/*") if p.is_file()]
        assert len(made) == 1, made  # noqa: S101
        baseline = stack.enter_context(bare(made[0], "image/jpeg"))
        compare("a cached ?w=320 variant", ours, baseline.base + "/file", args)


def memory(args: argparse.Namespace, *, s3: bool) -> float:
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = server_env(url, tmp, free_port(), **(s3_env(stack) if s3 else {}))
        server = stack.enter_context(running(env))
        data = big_png(args.side)
        file_id = publish(server, make_key(env), data, "image/png")
        size = len(data)
        del data
        pid = worker_pid(server)
        ranges(server.base, file_id, size, 4, 1)  # every code path once
        idle = Sampler(pid)
        idle.start()
        time.sleep(1.0)
        idle.stopping.set()
        idle.join()
        baseline = sorted(idle.samples)[len(idle.samples) // 2]
        sampler = Sampler(pid)
        sampler.start()
        took = ranges(server.base, file_id, size, 64, 1)
        sampler.stopping.set()
        sampler.join()
    growth = max(sampler.samples) - baseline
    verdict = "meets" if growth < TARGET_MB else "MISSES"
    label = "S3 (moto)" if s3 else "filesystem"
    print(f"memory, {label}: 64 concurrent ranges over a {size / MB:.0f} MiB original"
          f" in {took:.1f} s;"
          f" worker RSS baseline {baseline:.1f} MiB, growth {growth:.1f} MiB"
          f" ({verdict} the target < {TARGET_MB:g} MiB)", flush=True)  # fmt: skip
    return growth


def ranges(base: str, file_id: str, size: int, clients: int, rounds: int) -> float:
    """`clients` threads, each reading its own slice of the blob by a Range request."""
    part = size // clients
    errors: list[Any] = []

    def read(n: int) -> None:
        start, end = n * part, (n + 1) * part - 1
        with httpx.stream("GET", f"{base}/i/{file_id}", headers={"Range": f"bytes={start}-{end}"},
                          timeout=600) as r:  # fmt: skip
            got = sum(len(chunk) for chunk in r.iter_bytes())
            if r.status_code != 206 or got != end - start + 1:
                errors.append((n, r.status_code, got))

    began = time.perf_counter()
    for _ in range(rounds):
        threads = [threading.Thread(target=read, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        sys.exit(f"range requests failed: {errors[:3]}")
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    p.add_argument("--side", type=int, default=8192, help="side of the big PNG (8192: 192 MiB)")
    p.add_argument("--skip-fs", action="store_true")
    p.add_argument("--skip-s3", action="store_true")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--skip-variant", action="store_true")
    args = p.parse_args(argv)
    require_wrk()
    if not args.skip_fs and not args.skip_speed:
        speed(args, s3=False)
    if not args.skip_s3 and not args.skip_speed:
        speed(args, s3=True)
    if not args.skip_variant and not args.skip_speed:
        variant_speed(args)
    if not args.skip_memory:
        if not args.skip_s3:
            memory(args, s3=True)
        if not args.skip_fs:
            memory(args, s3=False)


if __name__ == "__main__":
    main()
