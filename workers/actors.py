"""The actors: two lines each, calling the plain task functions in workers/tasks.py."""

from __future__ import annotations

from workers import tasks
from workers.broker import job
from workers.context import current


@job(queue="analysis")
def analyze_image(file_id: str) -> None:
    tasks.analyze_image(current(), file_id)


@job(queue="analysis")
def analyze_images(file_ids: list[str]) -> None:
    tasks.analyze_images(current(), file_ids)
