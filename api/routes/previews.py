"""Link previews of the pages (OpenGraph and Twitter card tags, api/templates/preview.html): what a
chat app or a social network shows for a shared `/f/{id}` or `/a/{id}` link.

Built only for a page the viewer may see, from what that page shows, so a preview never says more
than the page: a refused or locked page has none. The image is the 1200-wide variant
(shared CONTRACT.md, "Image variants"); the filename is the title when the file has none.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from pichr.projections.queries.rows import AlbumRow, FileItemRow, FileRow

PREVIEW_WIDTH = 1200


class Preview(msgspec.Struct, frozen=True):
    title: str
    page: str
    description: str | None
    image: str | None
    alt: str


def shareable(visibility: str) -> bool:
    """Previews are for links people share: none for a private file or album, even to its
    owner (a page a proxy or an extension keeps would hold them)."""
    return visibility != "private"


def image_url(base: str, file_id: str) -> str:
    return f"{base}/i/{file_id}?w={PREVIEW_WIDTH}"


def file_preview(row: FileRow, base: str, web_base: str) -> Preview:
    title = row.title or row.filename
    return Preview(
        title=title,
        page=f"{web_base}/f/{row.id}",
        description=row.description,
        image=image_url(base, row.id),
        alt=row.description or title,
    )


def album_preview(
    album: AlbumRow, shown: Sequence[FileItemRow], base: str, web_base: str
) -> Preview:
    """`shown`: the files the page shows this viewer; the cover only when it is one of them."""
    cover = next((f for f in shown if f.id == album.cover_id), shown[0] if shown else None)
    return Preview(
        title=album.title,
        page=f"{web_base}/a/{album.id}",
        description=album.description,
        image=image_url(base, cover.id) if cover is not None else None,
        alt=(cover.title or cover.description or album.title) if cover is not None else "",
    )
