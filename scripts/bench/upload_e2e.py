"""End to end: presign + PUT + finalize (200: analyzed) of 500 KB JPEGs by 8 concurrent clients,
on the embedded default (pgserver, filesystem blobs, PostgreSQL broker) and on PostgreSQL +
S3 server (moto) + RabbitMQ. Prints uploads/s, p50/p99, and the fraction of the analysis-only
rate (analyze_image in-process on the same images, measured in the same run).

    .venv/bin/python -m scripts.bench.upload_e2e [--uploads 64] [--clients 8]
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

import httpx

from application.blob_fs import FilesystemBlobStore
from application.settings import Settings
from application.uploads import Uploads
from scripts.bench.common import free_port, make_key, running, scratch_database, server_env
from tests.integration.helpers import make_app, new_owner, upload
from tests.photos import photo_jpeg
from tests.s3server import run_s3_server
from workers import tasks
from workers.context import TaskContext

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


def analysis_rate(images: list[bytes]) -> float:
    root = Path(tempfile.mkdtemp(prefix="pichr-bench-e2e-"))
    with scratch_database() as url:
        app = make_app(url, pool_size=4)
        blobs = FilesystemBlobStore(root / "blobs")
        context = TaskContext(app, blobs, Settings(data_dir=root), url)
        tasks.nsfw_model(context)
        ids = [upload(Uploads(app, blobs), new_owner(), d).file_id for d in images]
        tasks.analyze_image(context, ids[0])
        started = time.perf_counter()
        for file_id in ids[1:]:
            tasks.analyze_image(context, file_id)
        rate = (len(ids) - 1) / (time.perf_counter() - started)
        app.close()
    shutil.rmtree(root, ignore_errors=True)
    return rate


def one_upload(client: httpx.Client, data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    body = {"filename": "photo.jpg", "mime": "image/jpeg", "bytes": len(data)}
    made = client.post("/api/v1/upload/presign", json=body).raise_for_status().json()
    client.put(made["uploadUrl"], content=data).raise_for_status()
    ids = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
    done = client.post("/api/v1/upload/finalize", json=ids)
    if done.status_code not in (200, 202):
        raise RuntimeError(f"finalize answered {done.status_code}: {done.text[:200]}")
    return time.perf_counter() - started, done.status_code


def load(base: str, key: str, images: list[bytes], uploads: int, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    late: list[int] = []  # 202: not analyzed within PICHR_FINALIZE_WAIT_MS
    lock, counter = threading.Lock(), iter(range(uploads))

    def client_loop() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
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

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,  # finalize answered 200 (analyzed)
        "late": len(late),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


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
    parser.add_argument("--uploads", type=int, default=64)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    images = [photo_jpeg((1920, 1080), seed, quality=93) for seed in range(16)]
    size_kb = sum(map(len, images)) // len(images) // 1024
    print(f"{args.uploads} uploads of {size_kb} KB JPEGs (1920x1080), {args.clients} clients")
    analysis = analysis_rate(images)
    print(f"analysis only (analyze_image in-process): {analysis:.1f} images/s")
    for kind in ("embedded", "postgres+s3+rabbitmq"):
        with deployment(kind) as (base, env):
            key = make_key(env)
            load(base, key, images, args.clients, args.clients)  # warm-up
            got = load(base, key, images, args.uploads, args.clients)
        print(
            f"{kind:>22}: {got['rate']:5.1f} uploads/s  p50 {got['p50']:6.0f} ms"
            f"  p99 {got['p99']:6.0f} ms  = {got['rate'] / analysis:.2f} of analysis-only"
            f"  (target >= 0.7); {got['late']:.0f} answered 202"
        )


if __name__ == "__main__":
    main()
