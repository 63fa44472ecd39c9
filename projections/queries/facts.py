"""Read-model rows as the access decision's typed facts (domain/access.py, album_access.py)."""

from __future__ import annotations

from pichr.domain.access import FileFacts
from pichr.domain.album_access import AlbumFacts
from pichr.projections.queries.rows import AlbumRow, FileRow


def file_facts(row: FileRow) -> FileFacts:
    """Built once per row version: rows are shared through the read cache."""
    facts = row.facts_memo
    if facts is None:
        facts = row.facts_memo = FileFacts(
            file_id=row.id,
            owner_id=row.owner_id,
            visibility=row.visibility,
            status=row.status,
            expires_at=row.expires_at,
            analyzed=row.analyzed_at is not None,
            analysis_failed=bool(row.analysis_error),
            nsfw_score=row.nsfw_score,
            age_restricted=row.age_restricted,
        )
    return facts


def album_facts(row: AlbumRow) -> AlbumFacts:
    return AlbumFacts(
        album_id=row.id,
        owner_id=row.owner_id,
        visibility=row.visibility,
        live=row.status == "live",
        password_protected=row.password_hash is not None,
    )
