"""Who may see a file-listing row: visibility, lifecycle and safe mode, in one place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.errors import ApiError
from application.principal import Principal

Row = dict[str, Any]


def visible(
    row: Row | None,
    who: Principal,
    *,
    safe_mode_off: bool,
    threshold: float,
    file_id: str,
    serving_bytes: bool = False,
) -> Row:
    """The row when the caller may see it; 404/451/410/403 otherwise (private existence never
    leaks). Quarantined files and blocked uploads answer 451 to everyone, the owner too.

    Bytes are served only once finalized: before that even the owner gets 404 for them.
    """
    if row is None:
        raise ApiError(404, "No such file.", id=file_id)
    owner = row["owner_id"] is not None and row["owner_id"] == who.account_id
    if row["visibility"] == "private" and not owner:
        raise ApiError(404, "No such file.", id=file_id)
    status = row["status"]
    withheld(row, file_id)
    if status in ("deleted", "expired", "abandoned", "banned") or _expired(row):
        raise ApiError(410, "The file was deleted or has expired.", id=file_id)
    if status != "ready" and not owner:
        raise ApiError(404, "No such file.", id=file_id)
    if status == "rejected" or (serving_bytes and status != "ready"):
        raise ApiError(404, "No such file.", id=file_id)
    if status == "ready" and (row.get("analyzed_at") is None or row.get("analysis_error")):
        _unanalyzed(row, file_id, owner=owner, serving_bytes=serving_bytes)
    score = row["nsfw_score"]
    restricted = (score is not None and score >= threshold) or bool(row.get("age_restricted"))
    if restricted and not (safe_mode_off and not who.is_anonymous):
        raise ApiError(403, "Content restricted by safe mode.", id=file_id, ageRestricted=True)
    return row


WITHHELD = ("quarantined", "blocked")  # moderation: 451 (banned files are gone: 410)


def withheld(row: Row, file_id: str) -> None:
    """451 for a quarantined file or an upload that matched the blocklist; 410 when banned."""
    if row["status"] in WITHHELD:
        raise ApiError(451, "The file is withheld for legal reasons.", id=file_id)
    if row["status"] == "banned":
        raise ApiError(410, "The file was removed by a moderator.", id=file_id)


def _unanalyzed(row: Row, file_id: str, *, owner: bool, serving_bytes: bool) -> None:
    """Before the worker's analysis the NSFW score is unknown and the only bytes are the
    original (never served): the owner sees the record, nobody gets bytes."""
    if not owner:
        raise ApiError(404, "No such file.", id=file_id)
    if not serving_bytes:
        return
    if row.get("analysis_error"):
        raise ApiError(404, "The image could not be processed.", id=file_id, fileStatus="failed")
    error = ApiError(
        404, "The image is still being processed.", id=file_id, fileStatus="processing"
    )
    error.headers = {"Retry-After": "1"}
    raise error


def _expired(row: Row) -> bool:
    expires = row["expires_at"]
    return expires is not None and expires <= datetime.now(UTC)


def safe_mode_off(header: str | None) -> bool:
    return (header or "").strip().lower() == "off"
