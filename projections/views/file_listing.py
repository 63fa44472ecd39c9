"""The file-listing read model: one row per file, as `GET /files` and `GET /files/{id}` show it."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from uuid import UUID

from psycopg import Cursor

from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent
from pichr.projections.views.bulk import upsert

COLUMNS = (
    "id",
    "owner_id",
    "upload_id",
    "status",
    "filename",
    "mime",
    "bytes",
    "sha256",
    "width",
    "height",
    "title",
    "description",
    "visibility",
    "tags",
    "hotlink_policy",
    "hotlink_whitelist",
    "blob_key",
    "etag",
    "nsfw_score",
    "phash",
    "view_count",
    "download_count",
    "created_at",
    "finalized_at",
    "expires_at",
    "deleted_at",
    "updated_at",
    "position",
    # from ImageAnalyzed / AnalysisFailed (the worker's results)
    "analyzed_at",
    "analysis_error",
    "rendition_key",
    "rendition_bytes",
    "rendition_mime",
    "rendition_sha256",
    "thumbnail_key",
    "thumbnail_bytes",
    "thumbnail_sha256",
    "purged_at",  # BlobsPurged: the clean-up deleted the file's blobs
    "age_restricted",  # AgeRestricted by a moderator, whatever the score
)
_CHANGE_COLUMNS = {
    "title": "title",
    "description": "description",
    "visibility": "visibility",
    "tags": "tags",
    "hotlinkPolicy": "hotlink_policy",
    "hotlinkWhitelist": "hotlink_whitelist",
    "expiresAt": "expires_at",
}
Row = dict[str, Any]


@lru_cache(maxsize=65_536)
def file_id_of(uuid: UUID) -> str:
    """The public id of a File aggregate (base58 is costly; a rebuild asks ~5 times per file)."""
    return ids.to_public(ids.FILE, uuid)


P = "pichr.file."


def _requested(e: LoggedEvent) -> Row:
    d = e.data
    return dict.fromkeys(COLUMNS) | {
        "id": d["file_id"],
        "owner_id": d["owner_id"],
        "upload_id": d["upload_id"],
        "status": "pending",
        "filename": d["filename"],
        "mime": d["mime"],
        "bytes": d["declared_bytes"],
        "sha256": d["sha256"],
        "title": d["title"],
        "description": d["description"],
        "visibility": d["visibility"],
        "tags": d["tags"],
        "hotlink_policy": "allow",
        "hotlink_whitelist": [],
        "age_restricted": False,
        "blob_key": d["blob_key"],
        "view_count": 0,
        "download_count": 0,
        "created_at": e.timestamp,
        "updated_at": e.timestamp,
    }


def _stored(row: Row, e: LoggedEvent) -> None:
    d = e.data
    row.update(status="uploaded", bytes=d["size"], sha256=d["sha256"], mime=d["mime"])
    row["blob_key"] = d.get("key", row["blob_key"])
    row["etag"] = d["etag"]


def _finalized(row: Row, e: LoggedEvent) -> None:
    d = e.data
    row.update(status="ready", width=d["width"], height=d["height"], finalized_at=e.timestamp)
    row["expires_at"] = d["expires_at"]


def _analyzed(row: Row, e: LoggedEvent) -> None:
    d = e.data
    row.update(width=d["width"], height=d["height"], phash=d["phash"])
    row.update(nsfw_score=d["nsfw_score"], analyzed_at=e.timestamp, analysis_error=None)
    row.update(rendition_key=d["rendition_key"], rendition_bytes=d["rendition_size"])
    row.update(rendition_mime=d["rendition_mime"], rendition_sha256=d["rendition_sha256"])
    row.update(thumbnail_key=d["thumbnail_key"], thumbnail_bytes=d["thumbnail_size"])
    row["thumbnail_sha256"] = d["thumbnail_sha256"]


def _analysis_failed(row: Row, e: LoggedEvent) -> None:
    row.update(analysis_error=e.data["reason"], analyzed_at=e.timestamp)


def _updated(row: Row, e: LoggedEvent) -> None:
    for name, value in e.data["changes"].items():
        column = _CHANGE_COLUMNS.get(name)
        if column:
            row[column] = value


def _status(status: str, stamp_column: str | None = None) -> Callable[[Row, LoggedEvent], None]:
    def fold(row: Row, e: LoggedEvent) -> None:
        row["status"] = status
        if stamp_column:
            row[stamp_column] = e.timestamp

    return fold


def _purged(row: Row, e: LoggedEvent) -> None:
    row["purged_at"] = e.timestamp


def _age_restricted(row: Row, e: LoggedEvent) -> None:
    row["age_restricted"] = True


def _restored(row: Row, e: LoggedEvent) -> None:
    """Quarantine, ban and restriction lifted: the lifecycle status the event names again."""
    row.update(status=e.data["status"], age_restricted=False)


FOLDS: dict[str, Callable[[Row, LoggedEvent], None]] = {
    P + "UploadStored.v1": _stored,
    P + "UploadFinalized.v1": _finalized,
    P + "UploadRejected.v1": _status("rejected"),
    P + "MetadataUpdated.v1": _updated,
    P + "ImageAnalyzed.v1": _analyzed,
    P + "ImageReanalyzed.v1": _analyzed,  # same fields: the newer results replace the older
    P + "AnalysisFailed.v1": _analysis_failed,
    P + "FileDeleted.v1": _status("deleted", "deleted_at"),
    P + "FileExpired.v1": _status("expired"),
    P + "UploadAbandoned.v1": _status("abandoned"),
    P + "BlobsPurged.v1": _purged,
    # moderation (domain/files.py): quarantined 451, banned 410, blocked uploads 451
    P + "FileQuarantined.v1": _status("quarantined"),
    P + "FileBanned.v1": _status("banned"),
    P + "UploadBlocked.v1": _status("blocked"),
    P + "AgeRestricted.v1": _age_restricted,
    P + "FileRestored.v1": _restored,
}
REQUESTED = P + "UploadRequested.v1"
TALLIED = "pichr.tally.ViewsTallied.v1"


class FileListingProjection:
    name = "file_listing"
    tables: tuple[str, ...] = ("file_listing",)

    @property
    def topics(self) -> tuple[str, ...]:
        """Only these events are read: a rebuild skips the rest of the log inside PostgreSQL."""
        return (REQUESTED, TALLIED, *FOLDS)

    def create_sql(self, suffix: str) -> list[str]:
        t = f"file_listing{suffix}"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (id text PRIMARY KEY, owner_id text,"
            " upload_id text, status text NOT NULL, filename text, mime text, bytes bigint,"
            " sha256 text, width int, height int, title text, description text,"
            " visibility text NOT NULL, tags text[] NOT NULL, hotlink_policy text NOT NULL,"
            " hotlink_whitelist text[] NOT NULL, blob_key text, etag text,"
            " nsfw_score double precision, phash text, view_count bigint NOT NULL,"
            " download_count bigint NOT NULL, created_at timestamptz NOT NULL,"
            " finalized_at timestamptz, expires_at timestamptz, deleted_at timestamptz,"
            " updated_at timestamptz NOT NULL, position bigint NOT NULL,"
            " analyzed_at timestamptz, analysis_error text, rendition_key text,"
            " rendition_bytes bigint, rendition_mime text, rendition_sha256 text,"
            " thumbnail_key text, thumbnail_bytes bigint, thumbnail_sha256 text,"
            " purged_at timestamptz, age_restricted boolean NOT NULL DEFAULT false)",
            # `position`: the log position that last changed the row; API caches follow it.
            f"CREATE INDEX IF NOT EXISTS {t}_position ON {t} (position)",
            f"CREATE INDEX IF NOT EXISTS {t}_owner_created ON {t} (owner_id, created_at, id)",
            f"CREATE INDEX IF NOT EXISTS {t}_owner_views ON {t} (owner_id, view_count, id)",
            f"CREATE INDEX IF NOT EXISTS {t}_owner_size ON {t} (owner_id, bytes, id)",
            # application/cleanup/jobs.py's queries: the few rows not ready and not yet purged.
            f"CREATE INDEX IF NOT EXISTS {t}_cleanup ON {t} (status, created_at)"
            " WHERE purged_at IS NULL AND status <> 'ready'",
        ]

    def checksum_sql(self, suffix: str) -> list[str]:
        t = f"file_listing{suffix}"
        return [f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM {t} t"]

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        table = f"file_listing{suffix}"
        rows = self._load(cur, table, events)
        changed = fold_events(rows, events)
        _upsert(cur, table, [rows[i] for i in sorted(changed) if i in rows])

    def _load(self, cur: Cursor[Any], table: str, events: list[LoggedEvent]) -> dict[str, Row]:
        wanted: set[str] = set()
        for e in events:
            if e.topic == TALLIED:
                wanted.update(e.data["views"], e.data["downloads"])
            elif e.topic in FOLDS:
                wanted.add(file_id_of(e.originator_id))
        if not wanted:
            return {}
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM {table} WHERE id = ANY(%s)", (list(wanted),))
        return {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()}


def fold_events(rows: dict[str, Row], events: list[LoggedEvent]) -> set[str]:
    """Fold a batch into `rows` (by file id: the rows its events touch, as stored); the ids of
    the rows it changed. Pure: `apply` loads the rows before and writes the changed ones."""
    changed: set[str] = set()
    for e in events:
        if e.topic == TALLIED:
            _tally(rows, changed, e)
            continue
        fold = FOLDS.get(e.topic)
        if e.topic == REQUESTED:
            row = rows[e.data["file_id"]] = _requested(e)
        elif fold is None:
            continue
        else:
            found = rows.get(file_id_of(e.originator_id))
            if found is None:
                continue
            row = found
            fold(row, e)
            row["updated_at"] = e.timestamp
        row["position"] = e.position
        changed.add(row["id"])
    return changed


def _tally(rows: dict[str, Row], changed: set[str], e: LoggedEvent) -> None:
    for column, counts in (
        ("view_count", e.data["views"]),
        ("download_count", e.data["downloads"]),
    ):
        for file_id, count in counts.items():
            row = rows.get(file_id)
            if row is not None:
                row[column] += count
                row["position"] = e.position
                changed.add(file_id)


def _upsert(cur: Cursor[Any], table: str, rows: list[Row]) -> None:
    upsert(cur, table, COLUMNS, "id", rows)
