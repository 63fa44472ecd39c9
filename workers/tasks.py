"""Task functions: what the actors run, callable directly (the tests do). Safe to run twice:
a file that already has its analysis recorded is skipped, and recording is idempotent too, so
a second delivery, even a concurrent one, records nothing new."""

from __future__ import annotations

import hashlib
import io
import logging
import threading

from application.analysis import Analysis, Derived, derive, rendition
from application.blobs import BlobNotFoundError
from application.imaging import UnsupportedMediaError
from application.nsfw import NsfwModel
from domain import ids
from domain.files import File
from workers.context import TaskContext

log = logging.getLogger("pichr.workers")
WORKER = "system:analysis"
_model_lock = threading.Lock()


def rendition_key(file_id: str) -> str:
    return f"derived/{file_id}/rendition"


def thumbnail_key(file_id: str) -> str:
    return f"derived/{file_id}/thumbnail.webp"


def nsfw_model(context: TaskContext) -> NsfwModel:
    """The process's model, loaded (and its sha256 checked) on first use."""
    with _model_lock:
        model: NsfwModel | None = context.extras.get("nsfw")
        if model is None:
            settings = context.settings
            model = context.extras["nsfw"] = NsfwModel(
                settings.nsfw_model or None, settings.nsfw_model_sha256 or None
            )
    return model


def analyze_image(context: TaskContext, file_id: str) -> None:
    analyze_images(context, [file_id])


def analyze_images(context: TaskContext, file_ids: list[str]) -> None:
    """Analyze the files that still wait for it; one model call for all of them."""
    waiting: list[tuple[str, bytes, Derived]] = []
    for file_id in file_ids:
        loaded = _bytes_if_waiting(context, file_id)
        if loaded is None:
            continue
        try:
            waiting.append((file_id, loaded, derive(loaded)))
        except UnsupportedMediaError as exc:
            _fail(context, file_id, exc.message)
    if not waiting:
        return
    model = nsfw_model(context)
    scores = model.score([facts.model_input for _, _, facts in waiting])
    for (file_id, data, facts), score in zip(waiting, scores, strict=True):
        try:
            served, mime = rendition(data, facts)
        except UnsupportedMediaError as exc:
            _fail(context, file_id, exc.message)
            continue
        _record(context, file_id, Analysis(facts, score, served, mime), model.info.label)


def _bytes_if_waiting(context: TaskContext, file_id: str) -> bytes | None:
    file = context.app.load(File, ids.FILE, file_id)
    if file.analyzed or file.deleted or file.expired or file.status != "ready":
        return None
    try:
        return b"".join(context.blobs.read(file.stored_key))
    except BlobNotFoundError:
        if _gone(context, file_id):
            return None  # deleted meanwhile: nothing to analyze
        raise


def _gone(context: TaskContext, file_id: str) -> bool:
    file = context.app.load(File, ids.FILE, file_id)
    return file.deleted or file.expired


def _record(context: TaskContext, file_id: str, result: Analysis, model: str) -> None:
    # Content-independent keys: a second run overwrites the same objects with the same bytes.
    served = rendition_key(file_id)
    thumb = thumbnail_key(file_id)
    context.blobs.put(served, io.BytesIO(result.rendition), length=len(result.rendition))
    thumbnail = result.derived.thumbnail
    context.blobs.put(thumb, io.BytesIO(thumbnail), length=len(thumbnail))
    facts = result.derived
    fields = {
        "width": facts.width,
        "height": facts.height,
        "frames": facts.frames,
        "phash": facts.phash,
        "nsfw_score": round(result.nsfw_score, 6),
        "model": model,
        "rendition_key": served,
        "rendition_size": len(result.rendition),
        "rendition_mime": result.rendition_mime,
        "rendition_sha256": result.rendition_sha256,
        "thumbnail_key": thumb,
        "thumbnail_size": len(thumbnail),
        "thumbnail_sha256": _sha256(thumbnail),
    }
    context.app.change(
        File, ids.FILE, file_id, lambda f: f.record_analysis(actor=WORKER, result=fields)
    )


def _fail(context: TaskContext, file_id: str, reason: str) -> None:
    log.warning("analysis of %s failed for good: %s", file_id, reason)
    context.app.change(
        File, ids.FILE, file_id, lambda f: f.fail_analysis(actor=WORKER, reason=reason)
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
