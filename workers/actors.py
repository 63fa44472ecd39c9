"""The actors: two lines each. The analysis ones hand their ids to the process's batcher
(workers/batching.py), which runs `tasks.analyze_images` over the jobs waiting together and
returns once these ids are analyzed: the message is acked only after its work is durable."""

from __future__ import annotations

from pichr.workers.batching import analysis_batcher
from pichr.workers.broker import job
from pichr.workers.context import current


@job(queue="analysis")
def analyze_image(file_id: str) -> None:
    analysis_batcher(current()).submit([file_id])


@job(queue="analysis")
def analyze_images(file_ids: list[str]) -> None:
    analysis_batcher(current()).submit(file_ids)
