"""Finalize's bounded wait for the worker's analysis, its outcome, and the duplicates it
reports."""

from __future__ import annotations

import asyncio

from pichr.api.services import Services
from pichr.api.wire.uploads import Duplicate
from pichr.api.wire.views import status
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.domain.access import check_withheld
from pichr.domain.errors import NotReadableYetError
from pichr.projections.queries.facts import file_facts
from pichr.projections.queries.rows import FileRow

NOT_READABLE = "The file was finalized; its record is not readable yet."


async def finalized_row(services: Services, file_id: str) -> FileRow:
    """The finalized file's row once analyzed, or still processing when the wait
    (PICHR_FINALIZE_WAIT_MS) runs out; 451 when its analysis matched the blocklist, 415 when
    the image could not be processed."""
    row = await analyzed_row(services, file_id, services.settings.finalize_wait_ms / 1000)
    if row is None:
        raise NotReadableYetError(NOT_READABLE)
    check_withheld(file_facts(row))
    if status(row) == "failed":
        message = "The image could not be processed."
        raise UnsupportedMediaError(message, fileId=row.id, reason=row.analysis_error)
    return row


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
        Duplicate(m.file_id, m.kind, m.distance if m.kind == "similar" else None) for m in found
    ]
