"""The one-request upload (POST /api/v1/upload, multipart/form-data) against presign + PUT +
finalize, in the same run on the same server (PostgreSQL, filesystem blobs): uploads/s of ~500 KB
JPEGs by concurrent clients, in rounds that alternate the two (target: one-request >= 0.9 of the
three-step flow). Then RSS growth while a 200 MB upload streams, each way (target < 30 MB): in
`pichr serve`'s worker, where the analysis of the image runs in the same process (and reads it
into memory, application/analysis/commands.py), and in a `pichr api` worker beside `pichr
worker`, which holds only what the upload path holds. The body is a JPEG padded with zeros.

    .venv/bin/python -m scripts.bench.upload_one [--uploads 96] [--clients 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from scripts.bench.common import (
    PICHR,
    Server,
    free_port,
    make_key,
    presign,
    running,
    scratch_database,
    server_env,
)
from scripts.bench.lean_client import LeanClient
from scripts.bench.put_memory import MB, TARGET_MB, Sampler, body, worker_pid
from scripts.bench.upload_e2e import one_upload
from tests.support.photos import photo_jpeg

BOUNDARY = "pichrbench7f3a9c"
FORM = f"multipart/form-data; boundary={BOUNDARY}"
HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nbench\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
    "Content-Type: image/jpeg\r\n\r\n"
).encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()
Upload = Callable[[LeanClient, bytes], int]


def one_request(client: LeanClient, data: bytes) -> int:
    status, answer = client.call("POST", "/api/v1/upload", HEAD + data + TAIL, FORM)
    if status not in (200, 202):
        raise RuntimeError(f"upload answered {status}: {answer[:200]!r}")
    return status


def three_steps(client: LeanClient, data: bytes) -> int:
    return one_upload(client, data)[1]


def load(
    base: str, key: str, images: list[bytes], count: int, *, clients: int, how: Upload
) -> float:
    """Uploads per second answered 200 (analyzed), `clients` at a time."""
    lock, counter, done = threading.Lock(), iter(range(count)), [0]

    def client_loop() -> None:
        client = LeanClient(base, {"Authorization": f"Bearer {key}"})
        try:
            while (n := _next(lock, counter)) is not None:
                if how(client, images[n % len(images)]) == 200:
                    with lock:
                        done[0] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.perf_counter() - started)


def _next(lock: threading.Lock, counter: Iterator[int]) -> int | None:
    with lock:
        return next(counter, None)


def streamed_form(total: int) -> Iterator[bytes]:
    yield HEAD
    yield from body(total)
    yield TAIL


def memory(server: Server, key: str, size_mb: int, one: bool) -> tuple[float, float, int]:
    """(RSS growth in MiB, MiB/s, the final answer's status) of one streamed 200 MB upload:
    the one-request form, or presign + PUT + finalize."""
    total = size_mb * MB
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=900) as client:
        pid = worker_pid(server)
        idle = Sampler(pid)
        idle.start()
        time.sleep(1.0)
        idle.stopping.set()
        idle.join()
        sampler = Sampler(pid)
        sampler.start()
        started = time.perf_counter()
        answer = _one_form(client, total) if one else _three_steps(client, total)
        took = time.perf_counter() - started
        time.sleep(0.2)
        sampler.stopping.set()
        sampler.join()
    growth = max(sampler.samples) - statistics.median(idle.samples)
    return growth, size_mb / took, answer.status_code


def _one_form(client: httpx.Client, total: int) -> httpx.Response:
    sized = {"Content-Type": FORM, "Content-Length": str(len(HEAD) + total + len(TAIL))}
    return client.post("/api/v1/upload", content=streamed_form(total), headers=sized)


def _three_steps(client: httpx.Client, total: int) -> httpx.Response:
    made = presign(client, "big.jpg", "image/jpeg", total)
    sized = {"Content-Length": str(total)}
    client.put(made["uploadUrl"], content=body(total), headers=sized).raise_for_status()
    ids = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
    return client.post("/api/v1/upload/finalize", json=ids)


@contextmanager
def split_roles(url: str, data_dir: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """`pichr api` (one worker) beside `pichr projections` and `pichr worker`: the API process
    holds what the upload path holds; the analysis (which reads an image into memory) runs in
    the worker process."""
    env = server_env(url, data_dir, free_port(), PICHR_API_WORKERS="1")
    with ExitStack() as stack:
        for role in ("projections", "worker"):
            stack.enter_context(running_role(env, role))
        api = stack.enter_context(running(env, [*PICHR, "api"]))
        yield api, env


@contextmanager
def running_role(env: dict[str, str], role: str) -> Iterator[Server]:
    """A role that serves no HTTP: started, given a moment, stopped at the end."""
    server = Server(env, [*PICHR, role])
    try:
        time.sleep(3)
        if server.proc.poll() is not None:
            raise RuntimeError(f"pichr {role} exited:\n{server.tail()}")
        yield server
    finally:
        server.stop()


def report_memory(server: Server, key: str, size_mb: int, where: str) -> None:
    for one in (True, False):
        growth, rate, status = memory(server, key, size_mb, one)
        name = "one-request upload" if one else "presign+PUT+finalize"
        verdict = "meets" if growth < TARGET_MB else "MISSES"
        print(f"{where}: {size_mb} MiB {name} at {rate:.0f} MiB/s (answered {status}):"
              f" RSS growth {growth:.1f} MiB ({verdict} < {TARGET_MB:g} MiB);"
              f" load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--uploads", type=int, default=96)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--size-mb", type=int, default=200)
    args = p.parse_args()
    images = [photo_jpeg((1400, 1050), seed, quality=95) for seed in range(16)]
    size_kb = sum(map(len, images)) // len(images) // 1024
    print(f"load average {os.getloadavg()[0]:.2f}; {size_kb} KB JPEGs, {args.clients} clients")
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = server_env(url, data_dir, free_port())
        server = stack.enter_context(running(env))
        key = make_key(env)
        for how in (three_steps, one_request):  # warm-up
            load(server.base, key, images, args.clients, clients=args.clients, how=how)
        rates: dict[str, list[float]] = {"three steps": [], "one request": []}
        per_round = max(1, args.uploads // args.rounds)
        for i in range(args.rounds):
            for name, how in (("three steps", three_steps), ("one request", one_request)):
                rate = load(server.base, key, images, per_round, clients=args.clients, how=how)
                rates[name].append(rate)
                print(f"  round {i + 1}/{args.rounds} {name}: {rates[name][-1]:.1f} uploads/s")
        three, one = (statistics.median(rates[n]) for n in ("three steps", "one request"))
        verdict = "meets" if one >= 0.9 * three else "MISSES"
        print(f"one request {one:.1f} uploads/s, presign+PUT+finalize {three:.1f} uploads/s:"
              f" ratio {one / three:.2f} ({verdict} the target >= 0.9)")  # fmt: skip
        report_memory(server, key, args.size_mb, "pichr serve worker (analysis in-process)")
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database())
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        api, env = stack.enter_context(split_roles(url, data_dir))
        report_memory(api, make_key(env), args.size_mb, "pichr api worker")


if __name__ == "__main__":
    main()
