"""Wire schemas of the event log as the admin routes show it: a file's history, its state as of
a moment, and the log in pages."""

from __future__ import annotations

from typing import Any

from pichr.api.wire.schemas import CamelStruct
from pichr.projections.queries.rows import FeedEntry


class HistoryEntry(CamelStruct):
    type: str
    version: int
    time: str
    actor: str | None
    reason: str | None
    payload: dict[str, Any]


class FileHistory(CamelStruct):
    file_id: str
    events: list[HistoryEntry]


class FileAsOf(CamelStruct):
    file_id: str
    as_of: str
    version: int
    state: dict[str, Any]


class FeedEvent(CamelStruct):
    position: int
    type: str  # the event's permanent topic, e.g. pichr.file.UploadFinalized.v1
    aggregate_id: str
    version: int
    time: str
    payload: dict[str, Any]


class FeedPage(CamelStruct):
    events: list[FeedEvent]
    next: int  # pass as `after` for the next page; equal to `after` when nothing is new


def feed_event(e: FeedEntry) -> FeedEvent:
    return FeedEvent(e.position, e.type, e.aggregate_id, e.version, e.time, e.payload)
