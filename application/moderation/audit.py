"""A file's whole history from the event log (with the reports about it and the decisions on
them), and its state at any past moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pichr.application.moderation.reports import ReportsOfFile
from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.catalogue import REDACTED
from pichr.domain.errors import InvalidInputError, NotFoundError
from pichr.domain.files import File

_SKIP = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_SECRET_STATE = {"upload_token_digest", "delete_token_digest"}


def _file_uuid(file_id: str) -> UUID:
    try:
        return ids.to_uuid(ids.FILE, file_id)
    except ids.InvalidIdError:
        raise NotFoundError("No such file.", id=file_id) from None


def file_events(app: PichrApplication, file_id: str) -> list[Any]:
    stored = app.recorder.select_events(_file_uuid(file_id))
    if not stored:
        raise NotFoundError("No such file.", id=file_id)
    return [app.mapper.to_domain_event(s) for s in stored]


def history_entry(event: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(event).items() if k not in _SKIP}
    payload = {k: ("[redacted]" if k in REDACTED | _SECRET_STATE else v) for k, v in data.items()}
    return {
        "type": type(event).TOPIC,
        "version": event.originator_version,
        "time": event.timestamp.isoformat(),
        "actor": data.get("actor"),
        "reason": data.get("reason"),
        "payload": payload,
    }


def file_history(
    app: PichrApplication, file_id: str, reports: ReportsOfFile
) -> list[dict[str, Any]]:
    """Every event of the file and of the reports naming it, in time order, with actor, reason
    and time. Report events carry their `report_id` in the payload."""
    events = file_events(app, file_id)
    named = [e.report_id for e in events if isinstance(getattr(e, "report_id", None), str)]
    entries = [(e.timestamp, history_entry(e)) for e in events]
    for report_id in dict.fromkeys([*reports.report_ids(file_id), *named]):
        found = _report_events(app, report_id)
        if not found or found[0].file_id != file_id:  # UploadBlocked names another file's
            continue
        for event in found:
            entry = history_entry(event)
            entry["payload"].setdefault("report_id", report_id)
            entries.append((event.timestamp, entry))
    entries.sort(key=lambda pair: pair[0])  # stable: a save's own order is kept on a tie
    return [entry for _, entry in entries]


def _report_events(app: PichrApplication, report_id: str) -> list[Any]:
    try:
        stored = app.recorder.select_events(ids.to_uuid(ids.REPORT, report_id))
    except ids.InvalidIdError:
        return []
    return [app.mapper.to_domain_event(s) for s in stored]


def file_as_of(app: PichrApplication, file_id: str, as_of: datetime) -> dict[str, Any]:
    """The file as it was at `as_of` (404 before it existed)."""
    if as_of.tzinfo is None:
        raise InvalidInputError("asOf needs a time zone (RFC 3339).", field="asOf")
    events = file_events(app, file_id)
    version = max((e.originator_version for e in events if e.timestamp <= as_of), default=None)
    if version is None:
        raise NotFoundError("The file did not exist at that time.", id=file_id)
    file: object = app.repository.get(_file_uuid(file_id), version=version)
    assert isinstance(file, File)  # noqa: S101  (the id maps to a File by construction)
    state = {k: v for k, v in vars(file).items() if not k.startswith("_")}
    for secret in _SECRET_STATE:
        state.pop(secret, None)
    return {"fileId": file_id, "asOf": as_of.isoformat(), "version": version, "state": state}
