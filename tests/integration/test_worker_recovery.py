"""A `pichr worker` process killed in the middle of an analysis: after a restart every file has
exactly one ImageAnalyzed, on each broker. And a broker that is down loses no job."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from PIL import Image, ImageDraw

from tests.integration.server import PICHR, scratch_dir
from tests.integration.workers import CommandSide, broker_params, command_side, eventually
from tests.support.photos import photo

FILES = 3


def _slow_png() -> bytes:
    """A 24 MP PNG of a few MB: a second or more of decoding and hashing per file."""
    size = (6000, 4000)
    bands = [Image.linear_gradient("L"), Image.radial_gradient("L")]
    img = Image.merge("RGB", [bands[0].resize(size), bands[1].resize(size), bands[1].resize(size)])
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], 37):
        draw.line((x, 0, size[0] - x, size[1]), fill=(x % 255, 80, 200), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@pytest.fixture(scope="module")
def slow_png() -> bytes:
    return _slow_png()


@contextlib.contextmanager
def worker_process(side: CommandSide, broker_url: str, namespace: str) -> Iterator[Path]:
    log = side.data_dir / f"worker-{time.monotonic_ns()}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICHR_")}
    env.update(
        PICHR_DATABASE_URL=side.database_url,
        PICHR_DATA_DIR=str(side.data_dir),
        PICHR_BROKER_URL=broker_url,
        PICHR_JOB_NAMESPACE=namespace,
        PICHR_JOB_RECOVERY_SECONDS="2",
        PICHR_LOG_LEVEL="INFO",
    )
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [PICHR, "worker"], env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        eventually(lambda: b"jobs:" in log.read_bytes(), 60, "worker started")
        yield log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _claimed(database_url: str, namespace: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM dramatiq.queue WHERE state = 'consumed' AND queue_name LIKE %s",
            (namespace + ".%",),
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("broker_url", broker_params())
def test_worker_killed_mid_analysis_records_each_file_once_after_restart(
    database_url: str, slow_png: bytes, broker_url: str
) -> None:
    namespace = f"kill{time.monotonic_ns() % 10**9}"
    with scratch_dir("kill") as data_dir, command_side(database_url, data_dir) as side:
        # A quiet machine analyzes fast: kill sooner on each try until a kill lands mid-analysis.
        for delay in (1.5, 0.5, 0.15, 0.0):
            with worker_process(side, broker_url, namespace):
                file_ids = side.finalized(slow_png, mime="image/png", count=FILES)
                if broker_url == "":  # the broker's own record: a job was claimed, not finished
                    eventually(lambda: _claimed(database_url, namespace) > 0, 30, "a claim")
                else:
                    time.sleep(delay)
                done_before_kill = sum(side.analyses(f) for f in file_ids)
                # leaving the block SIGKILLs the whole process group: no clean shutdown
            if done_before_kill < FILES:
                break
        assert done_before_kill < FILES, "the kill came too late to interrupt an analysis"
        with worker_process(side, broker_url, namespace):
            eventually(lambda: all(side.analyses(f) >= 1 for f in file_ids), 90, "all analyzed")
            time.sleep(1.0)  # let any redelivered duplicate run too
        assert [side.analyses(f) for f in file_ids] == [1] * FILES


def test_jobs_wait_in_the_log_while_the_broker_is_down(database_url: str) -> None:
    """Finalized while no worker could be reached: analyzed once a worker on a live broker
    (RabbitMQ when it runs here, else the embedded one) follows the log."""
    small = io.BytesIO()
    photo((320, 240), seed=4).save(small, "JPEG")
    with scratch_dir("outage") as data_dir, command_side(database_url, data_dir) as side:
        refused = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens there
        with worker_process(side, refused, "down") as log:
            (file_id,) = side.finalized(small.getvalue())
            eventually(lambda: b"job dispatcher" in log.read_bytes(), 30, "dispatch refused")
            assert side.analyses(file_id) == 0
        live = next(p for p in broker_params() if not p.marks[0].args[0])  # type: ignore[attr-defined]
        with worker_process(side, str(live.values[0]), "up"):  # type: ignore[attr-defined]
            eventually(lambda: side.analyses(file_id) == 1, 60, "analyzed after the outage")
