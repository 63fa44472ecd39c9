"""Photo-like test images: smooth gradients, shapes and sensor-like noise (JPEG compresses them
as it does photographs, and their perceptual hashes differ from one seed to the next)."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo(size: tuple[int, int] = (1920, 1080), seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    w, h = size
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    base = np.stack(
        [(rng.random() * x + rng.random() * y) * 255 * rng.uniform(0.3, 1) for _ in range(3)],
        axis=-1,
    )
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(max(w, h) // 20, max(w, h) // 4)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(max(1, w // 400)))
    noise = np.random.default_rng(seed).normal(0, 6, (h, w, 3))
    arr = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def photo_jpeg(size: tuple[int, int] = (1920, 1080), seed: int = 0, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    photo(size, seed).save(buf, "JPEG", quality=quality)
    return buf.getvalue()
