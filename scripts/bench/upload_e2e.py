"""End to end: presign + PUT + finalize (200: analyzed) of 500 KB JPEGs by 8 concurrent clients,
on the embedded default (pgserver, filesystem blobs, PostgreSQL broker) and on PostgreSQL +
S3 server (moto) + RabbitMQ. Prints uploads/s, p50/p99, and the fraction of the analysis-only
rate (analyze_image in-process on the same images), measured in rounds that alternate with the
end-to-end ones, so that load from elsewhere on the machine weighs on both alike.

    .venv/bin/python -m scripts.bench.upload_e2e [--uploads 96] [--clients 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.settings import Settings
from pichr.application.uploads.commands import Uploads
from pichr.projections.log.runner import ensure_schema
from pichr.projections.views.blocklist import BlocklistProjection
from pichr.scripts.compose import task_context
from pichr.workers import tasks
from scripts.bench.common import free_port, make_key, running, scratch_database, server_env
from scripts.bench.lean_client import LeanClient
from tests.integration.helpers import make_app
from tests.integration.s3server import run_s3_server
from tests.support.builders import new_owner, upload
from tests.support.photos import photo_jpeg

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


class AnalysisOnly:
    """analyze_image in this process on a scratch database and filesystem blobs."""

    def __init__(self, stack: contextlib.ExitStack, images: list[bytes], count: int) -> None:
        root = Path(tempfile.mkdtemp(prefix="pichr-bench-e2e-"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        url = stack.enter_context(scratch_database())
        with psycopg.connect(url) as conn:  # the screener queries it, as in a deployment
            ensure_schema(conn, BlocklistProjection())
        app = make_app(url, pool_size=4)
        stack.callback(app.close)
        blobs = FilesystemBlobStore(root / "blobs")
        # The fastest single stream: each model run uses every core (nsfw_threads=0).
        self.context = task_context(app, blobs, Settings(data_dir=root, nsfw_threads=0), url)
        tasks.nsfw_model(self.context)
        uploads = Uploads(app, blobs)
        self.waiting = [upload(uploads, new_owner(), images[n % len(images)]).file_id
                        for n in range(count + 1)]  # fmt: skip
        tasks.analyze_image(self.context, self.waiting.pop())  # warm-up

    def timed(self, count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            tasks.analyze_image(self.context, self.waiting.pop())
        return time.perf_counter() - started


def one_upload(client: LeanClient | httpx.Client, data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    body = {"filename": "photo.jpg", "mime": "image/jpeg", "bytes": len(data)}
    if isinstance(client, httpx.Client):
        made = client.post("/api/v1/upload/presign", json=body).raise_for_status().json()
        client.put(made["uploadUrl"], content=data).raise_for_status()
        ids = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
        done = client.post("/api/v1/upload/finalize", json=ids)
        status, text = done.status_code, done.text
    else:
        status, made = client.json("POST", "/api/v1/upload/presign", body)
        if status == 200:
            status, _ = client.call("PUT", made["uploadUrl"], data, "image/jpeg")
        if status != 200:
            raise RuntimeError(f"presign or PUT answered {status}")
        ids = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
        status, answer = client.json("POST", "/api/v1/upload/finalize", ids)
        text = str(answer)
    if status not in (200, 202):
        raise RuntimeError(f"finalize answered {status}: {text[:200]}")
    return time.perf_counter() - started, status


def load(
    base: str, key: str, images: list[bytes], uploads: int, clients: int, *, lean: bool = True
) -> dict[str, Any]:
    latencies: list[float] = []
    late: list[int] = []  # 202: not analyzed within PICHR_FINALIZE_WAIT_MS
    lock, counter = threading.Lock(), iter(range(uploads))

    def client_loop() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        client: LeanClient | httpx.Client = (
            LeanClient(base, headers) if lean else httpx.Client(base_url=base, headers=headers)
        )
        try:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                took, status = one_upload(client, images[n % len(images)])
                with lock:
                    if status == 200:
                        latencies.append(took)
                    else:
                        late.append(n)
        finally:
            client.close()

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "late": len(late)}


@contextlib.contextmanager
def deployment(kind: str) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"pichr-bench-{kind}-"))
    port = free_port()
    try:
        if kind == "embedded":  # no database URL: `pichr serve` starts pgserver itself
            env = server_env("", data_dir, port)
            env.pop("PICHR_DATABASE_URL")
            with running(env) as server:
                yield server.base, env
            return
        with scratch_database() as url, run_s3_server() as s3:
            extra = {
                "PICHR_S3_ENDPOINT": s3.endpoint,
                "PICHR_S3_ACCESS_KEY": s3.access_key,
                "PICHR_S3_SECRET_KEY": s3.secret_key,
                "PICHR_BROKER_URL": RABBITMQ,
                "PICHR_JOB_NAMESPACE": f"bench{port}",
            }
            env = server_env(url, data_dir, port, **extra)
            with running(env) as server:
                yield server.base, env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=96)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--httpx", action="store_true", help="clients on httpx (~3 ms more CPU per upload)"
    )
    args = parser.parse_args()
    lean = not args.httpx
    images = [photo_jpeg((1920, 1080), seed, quality=93) for seed in range(16)]
    size_kb = sum(map(len, images)) // len(images) // 1024
    client = "stdlib keep-alive clients" if lean else "httpx clients"
    print(f"{args.uploads} uploads of {size_kb} KB JPEGs (1920x1080), {args.clients} {client}")
    per_round = max(1, args.uploads // args.rounds)
    kinds = ("embedded", "postgres+s3+rabbitmq")
    with contextlib.ExitStack() as stack:
        analysis = AnalysisOnly(stack, images, len(kinds) * args.rounds * len(images))
        for kind in kinds:
            with deployment(kind) as (base, env):
                key = make_key(env)
                load(base, key, images, args.clients, args.clients, lean=lean)  # warm-up
                report(kind, [
                    (analysis.timed(len(images)),
                     load(base, key, images, per_round, args.clients, lean=lean))
                    for _ in range(args.rounds)
                ], len(images))  # fmt: skip


def report(kind: str, rounds: list[tuple[float, dict[str, Any]]], analyzed: int) -> None:
    """Rates over all rounds: the analysis-only rounds ran between the end-to-end ones."""
    analysis = analyzed * len(rounds) / sum(seconds for seconds, _ in rounds)
    latencies = sorted(t for _, got in rounds for t in got["latencies"])
    rate = len(latencies) / sum(got["seconds"] for _, got in rounds)  # finalize answered 200
    late = sum(got["late"] for _, got in rounds)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"{kind:>22}: analysis only {analysis:5.1f} images/s (analyze_image in-process)")
    print(
        f"{kind:>22}: {rate:5.1f} uploads/s  p50 {p50:6.0f} ms  p99 {p99:6.0f} ms"
        f"  = {rate / analysis:.2f} of analysis-only  (target >= 0.7); {late} answered 202"
    )


if __name__ == "__main__":
    main()
