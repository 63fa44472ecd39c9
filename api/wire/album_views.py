"""Album read-model rows to wire Structs."""

from __future__ import annotations

from pichr.api.wire.albums import AlbumDetail, AlbumOut
from pichr.api.wire.views import Urls, file_item, rfc3339
from pichr.projections.queries.album_cache import Contents
from pichr.projections.queries.rows import AlbumRow


def album_out(row: AlbumRow, page_url: str) -> AlbumOut:
    """The album as its owner sees it (list, create, update)."""
    return AlbumOut(
        id=row.id,
        title=row.title,
        description=row.description,
        visibility=row.visibility,
        tags=row.tags,
        url=page_url,
        cover_image_id=row.cover_id,
        password_protected=row.password_hash is not None,
        file_count=row.file_count,
        view_count=row.view_count,
        created_at=rfc3339(row.created_at) or "",
        updated_at=rfc3339(row.updated_at) or "",
    )


def cover_of(row: AlbumRow, contents: Contents) -> str | None:
    """The cover only when the viewer may see that file; else none."""
    cover = row.cover_id
    return cover if any(f.id == cover for f in contents.rows) else None


def album_detail(row: AlbumRow, contents: Contents, page_url: str, urls: Urls) -> AlbumDetail:
    """The album with the files this viewer may see; counts only what they see."""
    return AlbumDetail(
        id=row.id,
        title=row.title,
        description=row.description,
        visibility=row.visibility,
        tags=row.tags,
        url=page_url,
        cover_image_id=cover_of(row, contents) if row.cover_id else None,
        password_protected=row.password_hash is not None,
        file_count=len(contents.rows),
        view_count=row.view_count,
        created_at=rfc3339(row.created_at) or "",
        updated_at=rfc3339(row.updated_at) or "",
        files=[file_item(f, urls) for f in contents.rows],
    )
