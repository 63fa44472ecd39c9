"""Direct PUT memory: a 200 MB upload must raise the server worker's RSS by less than 30 MB.

Runs `pichr serve` on filesystem blobs, then on the moto S3 server
(tests/integration/s3server.py), and samples the granian worker's RSS every 50 ms while a
streamed PUT is in flight.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

from scripts.bench.common import (
    Server,
    free_port,
    make_key,
    presign,
    running,
    scratch_database,
    server_env,
    small_jpeg,
    upload,
)

MB = 1024 * 1024
TARGET_MB = 30.0
CHUNK = 256 * 1024


def worker_pid(server: Server) -> int:
    """The granian worker: the child of `pichr serve` that holds the most memory."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = _children(server.proc.pid)
        if children:
            return max(children, key=rss_mb)
        time.sleep(0.1)
    return server.proc.pid  # no worker process: the server runs the app itself


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Sampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, list[float]()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append(rss_mb(self.pid))
            self.stopping.wait(self.every)


def body(total: int) -> Iterator[bytes]:
    """A real JPEG header (the PUT sniffs only the first bytes), then zero padding."""
    head = small_jpeg(1)
    yield head
    left, pad = total - len(head), bytes(CHUNK)
    while left > 0:
        yield pad[: min(CHUNK, left)]
        left -= CHUNK


def measure(server: Server, key: str, size_mb: int) -> tuple[float, float, float, float, int]:
    """(baseline, peak, growth) in MB, the PUT's MB/s and the number of samples taken."""
    total = size_mb * MB
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=300) as client:  # fmt: skip
        upload(client, small_jpeg(2), "warm-up.jpg")  # load every code path of the PUT first
        pid = worker_pid(server)
        idle = Sampler(pid)
        idle.start()
        time.sleep(1.0)
        idle.stopping.set()
        idle.join()
        baseline = statistics.median(idle.samples)
        made = presign(client, "big.jpg", "image/jpeg", total)
        sampler = Sampler(pid)
        sampler.start()
        start = time.perf_counter()
        r = client.put(made["uploadUrl"], content=body(total),
                       headers={"Content-Length": str(total)})  # fmt: skip
        took = time.perf_counter() - start
        time.sleep(0.2)
        sampler.stopping.set()
        sampler.join()
    r.raise_for_status()
    if r.json()["bytes"] != total:
        raise RuntimeError(f"stored {r.json()['bytes']} bytes, sent {total}")
    peak = max(sampler.samples)
    return baseline, peak, peak - baseline, size_mb / took, len(sampler.samples)


def run(label: str, size_mb: int, s3: bool) -> float:
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        extra: dict[str, str] = {}
        if s3:
            from tests.integration.s3server import run_s3_server  # noqa: PLC0415

            s3server = stack.enter_context(run_s3_server())
            extra = {"PICHR_S3_ENDPOINT": s3server.endpoint, "PICHR_S3_BUCKET": "pichr-bench",
                     "PICHR_S3_ACCESS_KEY": s3server.access_key,
                     "PICHR_S3_SECRET_KEY": s3server.secret_key}  # fmt: skip
        env = server_env(url, tmp, free_port(), **extra)
        server = stack.enter_context(running(env))
        baseline, peak, growth, rate, samples = measure(server, make_key(env), size_mb)
    verdict = "meets" if growth < TARGET_MB else "MISSES"
    print(f"{label}: {size_mb} MiB PUT at {rate:,.0f} MiB/s;"
          f" worker RSS baseline {baseline:.1f} MiB, peak {peak:.1f} MiB ({samples} samples),"
          f" growth {growth:.1f} MiB"
          f" ({verdict} the target < {TARGET_MB:g} MiB)", flush=True)  # fmt: skip
    return growth


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size-mb", type=int, default=200, help="upload size in MiB (200)")
    p.add_argument("--skip-s3", action="store_true", help="filesystem blobs only")
    args = p.parse_args(argv)
    run("filesystem blobs", args.size_mb, s3=False)
    if not args.skip_s3:
        run("S3 (moto server)", args.size_mb, s3=True)


if __name__ == "__main__":
    main()
