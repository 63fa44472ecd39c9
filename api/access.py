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
    """The row when the caller may see it; 404/410/403 otherwise (private existence never leaks).

    Bytes are served only once finalized: before that even the owner gets 404 for them.
    """
    if row is None:
        raise ApiError(404, "No such file.", id=file_id)
    owner = row["owner_id"] is not None and row["owner_id"] == who.account_id
    if row["visibility"] == "private" and not owner:
        raise ApiError(404, "No such file.", id=file_id)
    status = row["status"]
    if status in ("deleted", "expired") or _expired(row):
        raise ApiError(410, "The file was deleted or has expired.", id=file_id)
    if status != "ready" and not owner:
        raise ApiError(404, "No such file.", id=file_id)
    if status == "rejected" or (serving_bytes and status != "ready"):
        raise ApiError(404, "No such file.", id=file_id)
    score = row["nsfw_score"]
    restricted = score is not None and score >= threshold
    if restricted and not (safe_mode_off and not who.is_anonymous):
        raise ApiError(403, "Content restricted by safe mode.", id=file_id, ageRestricted=True)
    return row


def _expired(row: Row) -> bool:
    expires = row["expires_at"]
    return expires is not None and expires <= datetime.now(UTC)


def safe_mode_off(header: str | None) -> bool:
    return (header or "").strip().lower() == "off"
