"""Every aggregate and event type of Pichr: the event contract, in one list.

docs/events.md is generated from here (`pichr events catalogue`) and checked in CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from uuid import UUID

from eventsourcing.domain import Aggregate

from pichr.domain import ids
from pichr.domain.accounts import Account, ApiKey, KeyUsage
from pichr.domain.albums import Album
from pichr.domain.files import File
from pichr.domain.privacy import PERSONAL
from pichr.domain.quota import StorageLedger
from pichr.domain.reports import Report
from pichr.domain.tallies import ViewTally
from pichr.domain.uploads import MultipartUpload

# aggregate class -> public id prefix (None: internal aggregates, shown by UUID)
AGGREGATES: dict[type[Aggregate], str | None] = {
    File: ids.FILE,
    MultipartUpload: ids.UPLOAD,
    Album: ids.ALBUM,
    Report: ids.REPORT,
    Account: ids.ACCOUNT,
    ApiKey: ids.KEY,
    KeyUsage: None,
    StorageLedger: None,
    ViewTally: None,
}
BOOKKEEPING = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_id_type",
    "originator_topic",
}


@dataclass(frozen=True, slots=True)
class EventType:
    topic: str
    name: str
    aggregate: str
    fields: dict[str, str]  # name -> annotation
    doc: str


def event_types() -> list[EventType]:
    found = []
    for aggregate in AGGREGATES:
        for name in sorted(dir(aggregate)):
            cls = getattr(aggregate, name)
            topic = getattr(cls, "TOPIC", None) if isinstance(cls, type) else None
            if topic is None or cls is aggregate or name in ("Created", "Snapshot"):
                continue
            fields: dict[str, str] = {}
            for klass in reversed(cls.__mro__):
                fields.update(getattr(klass, "__annotations__", {}))
            shown = {k: str(v) for k, v in fields.items() if k not in BOOKKEEPING}
            found.append(EventType(topic, name, aggregate.__name__, shown, (cls.__doc__ or "")))
    return sorted(found, key=lambda e: e.topic)


@lru_cache(maxsize=100_000)
def public_id_for(topic: str, originator_id: UUID) -> str:
    """The id an API client knows the event's aggregate by."""
    prefix = _prefix_by_topic().get(topic)
    return ids.to_public(prefix, originator_id) if prefix else str(originator_id)


@cache
def _prefix_by_topic() -> dict[str, str | None]:
    by_name = {a.__name__: p for a, p in AGGREGATES.items()}
    return {e.topic: by_name[e.aggregate] for e in event_types()}


def markdown() -> str:
    """docs/events.md: the catalogue of every event type and its fields."""
    lines = [
        "# Event catalogue",
        "",
        "Generated from the code by `pichr events catalogue > docs/events.md`; CI checks it is",
        "current. Topics are permanent: an event type is never renamed or repurposed, a changed",
        "shape gets a new `.vN` topic. Every event also carries `timestamp` (UTC) and the",
        "aggregate's id and version; the feed and the export add the log `position`.",
        "Fields marked (redacted) never leave the server through the feed or the export.",
        "Fields marked (personal) are personal data (docs/privacy.md): stored sealed with the",
        "data subject's key, read as `[erased]` once the subject is erased, and redacted in",
        "the feed and the export (`changes.x`: that key of the `changes` object).",
    ]
    current = ""
    for e in event_types():
        if e.aggregate != current:
            current = e.aggregate
            lines += ["", f"## {current}", "", "| topic | fields |", "|---|---|"]
        personal = PERSONAL.get(e.topic, {})
        shown = ", ".join(_field(k, v, personal) for k, v in e.fields.items())
        lines.append(f"| `{e.topic}` | {shown or '(none)'} |")
    return "\n".join(lines) + "\n"


def _field(name: str, annotation: str, personal: dict[str, str]) -> str:
    escaped = annotation.replace("|", "\\|")  # a pipe would end the table cell
    inner = sorted(p.partition(".")[2] for p in personal if p.startswith(f"{name}."))
    mark = " (personal)" if name in personal else ""
    mark += f" (personal: {', '.join(inner)})" if inner else ""
    return f"`{name}`: {escaped}" + (" (redacted)" if name in REDACTED else "") + mark


# Personal data and secrets: replaced by "[redacted]" in the feed and the export.
REDACTED = frozenset(
    {
        "email",
        "reporter_email",
        "digest",
        "upload_token_digest",
        "delete_token_digest",
        "password_hash",
    }
)
