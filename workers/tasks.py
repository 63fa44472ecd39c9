"""Task functions: what the actors run, callable directly (the tests do). Each builds the
application command from the process's context and calls it (application/analysis)."""

from __future__ import annotations

import threading

from pichr.application.analysis.commands import ImageAnalysis, Recorded
from pichr.application.imaging.nsfw import NsfwModel
from pichr.application.moderation.blocklist import Screener
from pichr.workers.context import TaskContext

_model_lock = threading.Lock()


def analyze_image(context: TaskContext, file_id: str) -> Recorded:
    return analyze_images(context, [file_id])


def analyze_images(context: TaskContext, file_ids: list[str]) -> Recorded:
    return image_analysis(context).analyze(file_ids)


def reanalyze_images(context: TaskContext, file_ids: list[str]) -> int:
    """Run analyzed files through the current pipeline again; how many got new results."""
    return image_analysis(context).reanalyze(file_ids)


def image_analysis(context: TaskContext) -> ImageAnalysis:
    return ImageAnalysis(
        context.app, context.blobs, lambda: nsfw_model(context), _screener(context)
    )


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


def _screener(context: TaskContext) -> Screener:
    """Blocks uploads whose hashes match removed or quarantined images (application/blocklist)."""
    with _model_lock:
        found: Screener | None = context.extras.get("screener")
        if found is None:
            found = context.extras["screener"] = Screener.on(
                context.app, context.blocklist, context.settings.plans
            )
    return found
