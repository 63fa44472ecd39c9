"""Image variants: the first render of `/i/{id}?w=640&format=webp` of a 1920x1080 JPEG against a
bare Pillow open+resize+encode of the same bytes, and a cached `?w=320` served rate against the
original's, in the same run.

The render baseline runs in this process, interleaved with ours (one distinct file per sample,
so each of ours is a first render: access decision, blob read, render, blob write, response).
It is Pillow at its best: `thumbnail()` (draft mode and a reducing gap, as ours), WebP q80;
a naive full-size `resize()` is printed beside it for scale. Target: ours within 1.3x.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx
from PIL import Image

from scripts.bench.common import (
    free_port,
    interleaved,
    make_key,
    require_wrk,
    running,
    scratch_database,
    server_env,
    upload,
    wrk,
)

HD = (1920, 1080)
RENDER_TARGET = 1.3


def photo(seed: int) -> bytes:
    """A photo-like 1920x1080 JPEG (gradients and noise: a realistic size, ~0.5-1 MB)."""
    noise = Image.effect_noise(HD, 40 + seed % 7).convert("RGB")
    base = Image.merge("RGB", [Image.linear_gradient("L").resize(HD)] * 3)
    out = io.BytesIO()
    Image.blend(base, noise, 0.35).save(out, "JPEG", quality=90)
    return out.getvalue()


def bare_pillow(data: bytes, *, naive: bool = False, gap: float = 2.0) -> float:
    """Seconds for open + resize to 640 wide + WebP q80, the way Pillow's docs do it (`gap`:
    thumbnail's reducing gap, 2.0 by default; ours decodes JPEG drafts at 1.5)."""
    start = time.perf_counter()
    img = Image.open(io.BytesIO(data))
    if naive:
        img = img.resize((640, 360), Image.Resampling.LANCZOS)
    else:
        img.thumbnail((640, 360), reducing_gap=gap)
    out = io.BytesIO()
    img.save(out, "WEBP", quality=80)
    return time.perf_counter() - start


def first_render(client: httpx.Client, file_id: str) -> float:
    start = time.perf_counter()
    answer = client.get(f"/i/{file_id}", params={"w": 640, "format": "webp"})
    elapsed = time.perf_counter() - start
    answer.raise_for_status()
    if answer.headers["content-type"] != "image/webp":
        raise SystemExit(f"not a WebP: {answer.headers}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--files", type=int, default=15, help="files, one first render each (15)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run (8)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds (3)")
    p.add_argument("--connections", type=int, default=64)
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port(), PICHR_VARIANT_RENDERS="4")
        with running(env) as server:
            headers = {"Authorization": f"Bearer {make_key(env)}", "X-Safe-Mode": "off"}
            with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
                images = [photo(i) for i in range(args.files + 1)]
                ids = [upload(client, data, f"hd-{i}.jpg") for i, data in enumerate(images)]
                print(f"uploaded {len(ids)} 1920x1080 JPEGs (~{len(images[0]) // 1024} KB each)")
                _renders(client, images, ids)
                _served(server.base, headers, ids[-1], args)


def _renders(client: httpx.Client, images: list[bytes], ids: list[str]) -> None:
    first_render(client, ids[-1])  # warm-up: the code paths and pools, on the spare file
    bare_pillow(images[-1])
    samples: dict[str, list[float]] = {"ours": [], "bare": [], "same": [], "naive": []}
    for data, file_id in zip(images[:-1], ids[:-1], strict=True):
        samples["bare"].append(bare_pillow(data))
        samples["ours"].append(first_render(client, file_id))
        samples["same"].append(bare_pillow(data, gap=1.5))
        samples["naive"].append(bare_pillow(data, naive=True))
    ms = {name: statistics.median(v) * 1000 for name, v in samples.items()}
    ratio = ms["ours"] / ms["bare"]
    verdict = "meets" if ratio <= RENDER_TARGET else "MISSES"
    print(
        f"\nfirst render ?w=640&format=webp, median of {len(samples['ours'])}: ours"
        f" {ms['ours']:.1f} ms (over HTTP), bare Pillow thumbnail+WebP {ms['bare']:.1f} ms"
        f" (with ours' 1.5 draft gap {ms['same']:.1f} ms), naive full resize {ms['naive']:.1f}"
        f" ms;\nours/bare = {ratio:.2f} ({verdict} the target <= {RENDER_TARGET}); ours/same"
        f" settings = {ms['ours'] / ms['same']:.2f} (what HTTP, access and the store add)"
    )


def _served(base: str, headers: dict[str, str], file_id: str, args: argparse.Namespace) -> None:
    variant, original = f"{base}/i/{file_id}?w=320", f"{base}/i/{file_id}"
    sizes = [len(httpx.get(u, headers=headers, timeout=30).content) for u in (variant, original)]
    print(f"\nserved: GET /i/{{id}}?w=320 ({sizes[0]:,} bytes, cached) vs GET /i/{{id}}"
          f" ({sizes[1]:,} bytes), {args.connections} connections")  # fmt: skip
    run = partial(wrk, headers=headers, connections=args.connections)
    for url in (variant, original):
        run(url, duration=min(args.duration, 3.0))  # warm-up
    medians = interleaved(args.rounds, {
        "variant": partial(run, variant, duration=args.duration),
        "original": partial(run, original, duration=args.duration),
    })  # fmt: skip
    print(
        f"cached variant {medians['variant']:,.0f} req/s, original {medians['original']:,.0f}"
        f" req/s; variant/original = {medians['variant'] / medians['original']:.2f}"
    )


if __name__ == "__main__":
    main()
