"""Typed read rows: what each projection query returns (psycopg's `class_row` builds them).

Field names are the columns'. Rows of the file listing are shared through the read cache
(projections/queries/cache.py) until the projection changes them, so what is derived from one
row version is kept on it (the `*_memo` fields) and derived once.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from pichr.domain.access import FileFacts


class FileItemRow(msgspec.Struct):
    """A file as lists show it (an album's files): the file-listing columns they need."""

    id: str
    title: str | None
    description: str | None
    mime: str  # declared at presign, then the sniffed type: never null
    bytes: int  # declared at presign, then the stored size: never null
    width: int | None
    height: int | None
    visibility: str
    view_count: int
    created_at: datetime
    expires_at: datetime | None
    status: str
    nsfw_score: float | None


class FileRow(FileItemRow):
    """The whole file-listing row (projections/views/file_listing.py COLUMNS)."""

    owner_id: str | None
    upload_id: str | None
    filename: str
    sha256: str | None
    tags: list[str]
    hotlink_policy: str
    hotlink_whitelist: list[str]
    blob_key: str
    etag: str | None
    phash: str | None
    download_count: int
    finalized_at: datetime | None
    deleted_at: datetime | None
    updated_at: datetime
    position: int
    analyzed_at: datetime | None  # the worker's results (ImageAnalyzed / AnalysisFailed)
    analysis_error: str | None
    rendition_key: str | None
    rendition_bytes: int | None
    rendition_mime: str | None
    rendition_sha256: str | None
    thumbnail_key: str | None
    thumbnail_bytes: int | None
    thumbnail_sha256: str | None
    purged_at: datetime | None
    age_restricted: bool
    facts_memo: FileFacts | None = None  # the access decision's facts (queries/facts.py)
    body_memo: bytes | None = None  # the encoded GET /files/{id} answer (api/routes/files.py)


class AlbumRow(msgspec.Struct):
    """An album (projections/views/albums.py ALBUM_COLUMNS)."""

    id: str
    owner_id: str
    title: str
    description: str | None
    visibility: str
    tags: list[str]
    password_hash: str | None
    cover_id: str | None
    file_count: int
    view_count: int
    status: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    position: int


class AuthKeyRow(msgspec.Struct):
    """An API key with its account, as the authenticator looks it up by digest."""

    id: str
    account_id: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    plan: str
    deleted_at: datetime | None  # the account's
    safe_mode_optional: bool


class KeyRow(msgspec.Struct):
    """An API key as operators list it (never its digest)."""

    id: str
    account_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class AccountRow(msgspec.Struct):
    id: str
    email: str
    plan: str
    created_at: datetime
    deleted_at: datetime | None
    safe_mode_optional: bool
    position: int


class ReportRow(msgspec.Struct):
    """A report in the moderation queue (projections/views/reports.py COLUMNS)."""

    id: str
    file_id: str
    reason: str
    details: str | None
    priority: int
    status: str
    has_email: bool
    quarantined: bool
    created_at: datetime
    resolved_at: datetime | None
    action: str | None
    decision_reason: str | None
    moderator: str | None
    position: int


class FeedEntry(msgspec.Struct, rename="camel"):
    """One event as analysts read it; `pichr events export` writes it as it encodes (camel)."""

    position: int
    type: str  # the event's permanent topic
    aggregate_id: str
    version: int
    time: str  # the event's timestamp (RFC 3339), as stored
    payload: dict[str, msgspec.Raw]  # undecoded JSON values, personal data redacted
