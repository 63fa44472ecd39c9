"""Read-model rows to wire Structs: the only place that knows both shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from pichr.api.wire.files import FileItem, FileList, FileOut
from pichr.api.wire.schemas import Pagination
from pichr.api.wire.uploads import Duplicate, FinalizeOut
from pichr.domain.access import restricted
from pichr.projections.queries.cache import Page
from pichr.projections.queries.cursor import encode_cursor
from pichr.projections.queries.facts import file_facts
from pichr.projections.queries.reads import SORTS, ListQuery
from pichr.projections.queries.rows import FileItemRow, FileRow


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Urls:
    def __init__(self, base: str, cdn: str) -> None:
        self.base = base
        self.cdn = cdn

    def image(self, file_id: str) -> str:
        return f"{self.base}/i/{file_id}"

    def thumbnail(self, file_id: str) -> str:
        return f"{self.base}/t/{file_id}"

    def cdn_url(self, row: FileRow) -> str:
        return f"{self.cdn}/{row.blob_key}" if self.cdn != self.base else self.image(row.id)


def status(row: FileRow) -> str:
    """The lifecycle status, with "processing" until the worker's analysis is recorded and
    "failed" when the bytes could not be analyzed."""
    facts = file_facts(row)
    if facts.status != "ready":
        return facts.status
    if facts.analysis_failed:
        return "failed"
    return "ready" if facts.analyzed else "processing"


def age_restricted(row: FileRow, threshold: float) -> bool:
    return restricted(file_facts(row), threshold)


def file_out(row: FileRow, urls: Urls, threshold: float) -> FileOut:
    return FileOut(
        id=row.id,
        url=urls.image(row.id),
        cdn_url=urls.cdn_url(row),
        thumbnail_url=urls.thumbnail(row.id),
        title=row.title,
        description=row.description,
        mime=row.mime,
        bytes=row.bytes,
        width=row.width,
        height=row.height,
        visibility=row.visibility,
        view_count=row.view_count,
        download_count=row.download_count,
        nsfw_score=row.nsfw_score,
        age_restricted=age_restricted(row, threshold),
        tags=row.tags,
        hotlink_policy=row.hotlink_policy,
        hotlink_whitelist=row.hotlink_whitelist,
        sha256=row.sha256,
        phash=row.phash,
        status=status(row),
        created_at=rfc3339(row.created_at) or "",
        updated_at=rfc3339(row.updated_at) or "",
        expires_at=rfc3339(row.expires_at),
    )


def file_item(row: FileItemRow, urls: Urls) -> FileItem:
    return FileItem(
        id=row.id,
        url=urls.image(row.id),
        thumbnail_url=urls.thumbnail(row.id),
        title=row.title,
        mime=row.mime,
        bytes=row.bytes,
        width=row.width,
        height=row.height,
        visibility=row.visibility,
        view_count=row.view_count,
        created_at=rfc3339(row.created_at) or "",
    )


def finalize_out(
    row: FileRow, urls: Urls, threshold: float, duplicates: list[Duplicate] | None = None
) -> FinalizeOut:
    return FinalizeOut(
        file_id=row.id,
        url=urls.image(row.id),
        cdn_url=urls.cdn_url(row),
        mime=row.mime,
        bytes=row.bytes,
        width=row.width,
        height=row.height,
        nsfw_score=row.nsfw_score,
        age_restricted=age_restricted(row, threshold),
        visibility=row.visibility,
        expires_at=rfc3339(row.expires_at),
        phash=row.phash,
        duplicates=duplicates or [],
        status=status(row),
    )


def file_page(page: Page, q: ListQuery, urls: Urls) -> FileList:
    """A page of `GET /files`: the page holds one row more than asked when more follow."""
    rows, more = page.rows[: q.limit], len(page.rows) > q.limit
    last = rows[-1] if more and rows else None
    after = encode_cursor(q.sort, q.order, getattr(last, SORTS[q.sort]), last.id) if last else None
    offset = 0 if q.cursor else q.offset
    block = Pagination(page.total, q.limit, offset, has_more=more, next_cursor=after)
    return FileList(files=[file_item(r, urls) for r in rows], pagination=block)
