"""Analysis throughput: images/s through the analyze_image task (event store, blobs, model)
against a bare loop over the same Pillow, imagehash and onnxruntime calls, in one run.

    .venv/bin/python -m scripts.bench.analysis [--images 24] [--rounds 3]

Prints the rates and their ratios (ours / bare; the batched task runs one model call per 4).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imagehash
import psycopg
from PIL import Image

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.imaging.analysis import draft_size
from pichr.application.imaging.nsfw import NsfwModel, preprocess
from pichr.application.imaging.strip import strip
from pichr.application.settings import Settings
from pichr.application.uploads.commands import Uploads
from pichr.projections.log.runner import ensure_schema
from pichr.projections.views.blocklist import BlocklistProjection
from pichr.scripts.compose import task_context
from pichr.workers import tasks
from scripts.bench.common import scratch_database
from tests.integration.helpers import make_app
from tests.support.builders import new_owner, upload
from tests.support.photos import photo_jpeg


def bare(images: list[bytes], model: NsfwModel) -> None:
    """The work alone: decode (draft), strip, phash, thumbnail, NSFW, sha256."""
    for data in images:
        hashlib.sha256(strip(data, "image/jpeg")).hexdigest()  # the served rendition's
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", draft_size(img.size))
            img.load()
            str(imagehash.phash(img))
            thumb = img.convert("RGB")
            thumb.thumbnail((320, 320), Image.Resampling.LANCZOS, reducing_gap=2.0)
            thumb.save(io.BytesIO(), "WEBP", quality=80, method=4)
            model.score([preprocess(img)])


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    images = [photo_jpeg((1920, 1080), seed) for seed in range(args.images)]
    print(f"{args.images} JPEGs 1920x1080, {sum(map(len, images)) // len(images) // 1024} KB avg")
    root = Path(tempfile.mkdtemp(prefix="pichr-bench-analysis-"))
    with scratch_database() as url:
        with psycopg.connect(url) as conn:  # the screener queries it, as in a deployment
            ensure_schema(conn, BlocklistProjection())
        app = make_app(url, pool_size=4)
        blobs = FilesystemBlobStore(root / "blobs")
        # One stream of images: the model's run uses every core (a deployment's default, one
        # thread per run with a lane per core, suits many images at once, not this loop).
        context = task_context(app, blobs, Settings(data_dir=root, nsfw_threads=0), url)
        model = tasks.nsfw_model(context)
        bare(images[:2], model)  # warm up
        spent = {"bare": 0.0, "task": 0.0, "task_batched": 0.0}
        done = 0
        for _ in range(args.rounds):
            who, uploads = new_owner(), Uploads(app, blobs)
            single = [upload(uploads, who, d).file_id for d in images]
            batched = [upload(uploads, who, d).file_id for d in images]
            # Interleaved in groups of 4, so that load from elsewhere hits all three alike.
            for at in range(0, len(images), 4):
                group = images[at : at + 4]
                spent["bare"] += timed(lambda g=group: bare(g, model))
                ids = single[at : at + 4]
                spent["task"] += timed(lambda i=ids: [tasks.analyze_image(context, f) for f in i])
                ids = batched[at : at + 4]
                spent["task_batched"] += timed(lambda i=ids: tasks.analyze_images(context, i))
                done += len(group)
        app.close()
    shutil.rmtree(root, ignore_errors=True)
    rates = {name: done / seconds for name, seconds in spent.items()}
    for name, value in rates.items():
        print(f"{name:>13}: {value:6.1f} images/s")
    print(f"ratio task/bare:         {rates['task'] / rates['bare']:.2f}  (target >= 0.85)")
    print(f"ratio task_batched/bare: {rates['task_batched'] / rates['bare']:.2f}")


if __name__ == "__main__":
    main()
