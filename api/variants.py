"""A variant of the served rendition (/i/{id}?w=..., /i/{id}.webp): which one the request names,
found or rendered off the event loop (application/files/variants.py), served like the original
with its own strong ETag. Access, hotlink and safe mode were decided on the file before."""

from __future__ import annotations

from anyio import to_thread

from pichr.api.routes.served import Served
from pichr.api.services import Services
from pichr.application.files.variants import variant_etag
from pichr.application.imaging.variant_spec import Asked, plan
from pichr.domain.errors import NotReadyError
from pichr.projections.queries.rows import FileRow


async def variant_of(services: Services, row: FileRow, original: Served, asked: Asked) -> Served:
    """`original`: the served rendition; returned as it is when `asked` names it."""
    if row.width is None or row.height is None:
        raise NotReadyError("The image is still being processed.", processing=True)
    variant = plan(asked, (row.width, row.height), original.mime)
    if variant is None:
        return original
    stored = services.variants.known(row.id, variant)
    if stored is None:
        made = services.variants.get_or_render
        stored = await to_thread.run_sync(made, row.id, original.key, variant)
    etag = variant_etag(original.sha256, variant)
    return Served(
        stored.key, stored.size, variant.mime, etag,
        counts_view=original.counts_view, modified=original.modified,
    )  # fmt: skip
