"""Task functions: what the actors run, callable directly (the tests do). Safe to run twice:
a file that already has its analysis recorded is skipped, and recording is idempotent too, so
a second delivery, even a concurrent one, records nothing new."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from pichr.application.blobs.port import BlobNotFoundError
from pichr.application.imaging.analysis import Derived, Deriving, rendition
from pichr.application.imaging.nsfw import NsfwModel
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.moderation.blocklist import Screener
from pichr.domain import ids
from pichr.domain.errors import ConflictError
from pichr.domain.files import File
from pichr.workers.context import TaskContext
from pichr.workers.derived_blobs import DerivedWrites, rendition_key, thumbnail_key
from pichr.workers.screening import AskedAhead, screening_ahead

__all__ = ["analyze_image", "analyze_images", "reanalyze_images", "rendition_key", "thumbnail_key"]
log = logging.getLogger("pichr.workers")
WORKER = "system:analysis"
BLOCKLIST = "system:blocklist"
REANALYSIS = "system:reanalysis"
_model_lock = threading.Lock()


def nsfw_model(context: TaskContext) -> NsfwModel:
    """The process's model, loaded (and its sha256 checked) on first use."""
    with _model_lock:
        model: NsfwModel | None = context.extras.get("nsfw")
        if model is None:
            settings = context.settings
            model = context.extras["nsfw"] = NsfwModel(
                settings.nsfw_model or None,
                settings.nsfw_model_sha256 or None,
                settings.nsfw_threads,
            )
    return model


def analyze_image(context: TaskContext, file_id: str) -> None:
    analyze_images(context, [file_id])


def analyze_images(context: TaskContext, file_ids: list[str]) -> None:
    """Analyze the files that still wait for it: one model call and one commit for them all.
    The derived blobs are stored, and the blocklist asked, while the analysis goes on; the
    analysis is recorded once the blobs are durable."""
    screen, ahead = screening_ahead(_screener(context))
    waiting: list[tuple[File, Derived, DerivedWrites]] = []
    for file_id in file_ids:
        loaded = _waiting(context, file_id)
        if loaded is None:
            continue
        file, data, step = loaded
        try:
            waiting.append((file, *_derive(context, file, data, ahead, step)))
        except UnsupportedMediaError as exc:
            _fail(context, file_id, exc.message)
    if not waiting:
        return
    model = nsfw_model(context)
    scores = model.score([facts.model_input for _, facts, _ in waiting])
    label = model.info.label
    analyzed = [
        (file, writes.fields(facts, score, label))
        for (file, facts, writes), score in zip(waiting, scores, strict=True)
    ]
    _record(context, analyzed, screen)


def _derive(
    context: TaskContext,
    file: File,
    data: bytes,
    ahead: AskedAhead | None,
    step: Deriving | None = None,
) -> tuple[Derived, DerivedWrites]:
    """The facts of `data` (`step`: its decode, when finalize handed it over); each derived
    blob, and the blocklist question, goes out as soon as it is known, so that their I/O
    overlaps the decode and leaves the model run alone."""
    writes = DerivedWrites(context.blobs, file.file_id)
    # Stored while the image decodes (unless it is the original, stored already).
    writes.rendition(rendition(data), data, file.stored_key, file.stored.get("sha256"))
    step = step or Deriving(data)
    if ahead is not None:
        ahead.ask(file.stored.get("sha256"), step.phash, file.file_id)
    writes.thumbnail(step.thumbnail)
    return step.result(), writes


def _waiting(context: TaskContext, file_id: str) -> tuple[File, bytes, Deriving | None] | None:
    """The file, when it still waits for its analysis, with its bytes (and their decode, when
    finalize in this process handed them over: then the blob is not read again)."""
    file = context.app.load(File, ids.FILE, file_id)
    if file.analyzed or file.deleted or file.expired or file.status != "ready":
        return None
    if context.handoff is not None:
        handed = context.handoff.take(file_id, str(file.stored.get("sha256", "")))
        if handed is not None:
            return file, *handed
    try:
        return file, b"".join(context.blobs.read(file.stored_key)), None
    except BlobNotFoundError:
        if _gone(context, file_id):
            return None  # deleted meanwhile: nothing to analyze
        raise


def _gone(context: TaskContext, file_id: str) -> bool:
    file = context.app.load(File, ids.FILE, file_id)
    return file.deleted or file.expired


def _record(
    context: TaskContext, analyzed: list[tuple[File, dict[str, Any]]], screen: Screener
) -> None:
    """One save for the batch; after a concurrent write (a duplicate delivery), file by file."""
    blocked: list[Any] = []
    for file, fields in analyzed:
        if file.record_analysis(actor=WORKER, result=fields):
            blocked += screen(file, BLOCKLIST)  # same save: a blocked image is never served
    try:
        context.app.commit(*(file for file, _ in analyzed), *blocked)
    except ConflictError:
        for file, fields in analyzed:
            _record_one(context, file.file_id, fields)


def _record_one(context: TaskContext, file_id: str, fields: dict[str, Any]) -> None:
    screen = _screener(context)

    def record(f: File) -> list[Any]:
        return screen(f, BLOCKLIST) if f.record_analysis(actor=WORKER, result=fields) else []

    context.app.change(File, ids.FILE, file_id, record)


def _screener(context: TaskContext) -> Screener:
    """Blocks uploads whose hashes match removed or quarantined images (application/blocklist)."""
    with _model_lock:
        found: Screener | None = context.extras.get("screener")
        if found is None:
            found = context.extras["screener"] = Screener.on(
                context.app, context.blocklist, context.settings.plans
            )
    return found


def _fail(context: TaskContext, file_id: str, reason: str) -> None:
    log.warning("analysis of %s failed for good: %s", file_id, reason)
    context.app.change(
        File, ids.FILE, file_id, lambda f: f.fail_analysis(actor=WORKER, reason=reason)
    )


def reanalyze_images(context: TaskContext, file_ids: list[str]) -> int:
    """Run analyzed files through the current pipeline again; how many got new results."""
    loaded: list[tuple[File, Derived, DerivedWrites]] = []
    for file_id in file_ids:
        file = context.app.load(File, ids.FILE, file_id)
        if not file.analysis or file.deleted or file.expired or file.status != "ready":
            continue
        try:
            data = b"".join(context.blobs.read(file.stored_key))
            loaded.append((file, *_derive(context, file, data, None)))
        except (BlobNotFoundError, UnsupportedMediaError) as exc:
            log.warning("not reanalyzing %s: %s", file_id, exc)
    if not loaded:
        return 0
    model = nsfw_model(context)
    scores = model.score([facts.model_input for _, facts, _ in loaded])
    changed = 0
    for (file, facts, writes), score in zip(loaded, scores, strict=True):
        fields = writes.fields(facts, score, model.info.label)
        position = context.app.change(File, ids.FILE, file.file_id, _reanalysis(fields))
        changed += position > 0
    return changed


def _reanalysis(fields: dict[str, Any]) -> Callable[[File], bool]:
    return lambda f: f.record_reanalysis(actor=REANALYSIS, result=fields)
