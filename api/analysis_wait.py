"""Finalize's bounded wait for the worker's analysis, and the duplicates it reports."""

from __future__ import annotations

import asyncio

from pichr.api.services import Services
from pichr.api.wire.schemas import Duplicate
from pichr.api.wire.views import status
from pichr.projections.queries.rows import FileRow


async def analyzed_row(services: Services, file_id: str, timeout: float) -> FileRow | None:
    """The file's row once analyzed (or failed), else as it is when `timeout` runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with services.analyses.watch(file_id) as recorded:
            row = await services.reads.file(file_id)
            remaining = deadline - loop.time()
            if row is None or status(row) != "processing" or remaining <= 0:
                return row
            try:
                async with asyncio.timeout(remaining):
                    await recorded.wait()
            except TimeoutError:
                pass


def duplicates(services: Services, row: FileRow) -> list[Duplicate]:
    """The owner's other files with the same bytes, then the perceptually close ones."""
    if row.owner_id is None:
        return []
    found = services.analyses.index.find(
        row.owner_id, row.id, row.sha256, row.phash, services.settings.phash_max_distance
    )
    return [
        Duplicate(
            file_id=m.file_id, kind=m.kind, distance=m.distance if m.kind == "similar" else None
        )
        for m in found
    ]
