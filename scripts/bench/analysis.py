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
from PIL import Image

from application.analysis import draft_size
from application.blob_fs import FilesystemBlobStore
from application.nsfw import NsfwModel, preprocess
from application.settings import Settings
from application.uploads import Uploads
from scripts.bench.common import scratch_database
from tests.integration.helpers import make_app, new_owner, upload
from tests.photos import photo_jpeg
from workers import tasks
from workers.context import TaskContext


def bare(images: list[bytes], model: NsfwModel) -> None:
    """The library calls alone: decode (draft), phash, thumbnail, NSFW, sha256."""
    for data in images:
        hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", draft_size(img.size))
            img.load()
            str(imagehash.phash(img))
            thumb = img.convert("RGB")
            thumb.thumbnail((320, 320), Image.Resampling.LANCZOS, reducing_gap=2.0)
            thumb.save(io.BytesIO(), "WEBP", quality=80, method=4)
            model.score([preprocess(img)])


def rate(count: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    images = [photo_jpeg((1920, 1080), seed) for seed in range(args.images)]
    print(f"{args.images} JPEGs 1920x1080, {sum(map(len, images)) // len(images) // 1024} KB avg")
    root = Path(tempfile.mkdtemp(prefix="pichr-bench-analysis-"))
    with scratch_database() as url:
        app = make_app(url, pool_size=4)
        blobs = FilesystemBlobStore(root / "blobs")
        context = TaskContext(app, blobs, Settings(data_dir=root), url)
        model = tasks.nsfw_model(context)
        bare(images[:2], model)  # warm up
        results: dict[str, list[float]] = {"bare": [], "task": [], "task_batched": []}
        for _ in range(args.rounds):
            who, uploads = new_owner(), Uploads(app, blobs)
            single = [upload(uploads, who, d).file_id for d in images]
            batched = [upload(uploads, who, d).file_id for d in images]
            results["bare"].append(rate(len(images), lambda: bare(images, model)))
            results["task"].append(
                rate(len(images), lambda ids=single: [tasks.analyze_image(context, f) for f in ids])
            )
            groups = [batched[i : i + 4] for i in range(0, len(batched), 4)]
            results["task_batched"].append(
                rate(len(images), lambda g=groups: [tasks.analyze_images(context, x) for x in g])
            )
        app.close()
    shutil.rmtree(root, ignore_errors=True)
    best = {name: max(values) for name, values in results.items()}
    for name, value in best.items():
        print(
            f"{name:>13}: {value:6.1f} images/s  (rounds: {[round(v, 1) for v in results[name]]})"
        )
    print(f"ratio task/bare:         {best['task'] / best['bare']:.2f}  (target >= 0.85)")
    print(f"ratio task_batched/bare: {best['task_batched'] / best['bare']:.2f}")


if __name__ == "__main__":
    main()
