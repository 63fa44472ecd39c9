"""The event log as projections read it, kept by the in-memory event store.

A test records real aggregates (or runs real commands) on the in-memory application and reads
back what was stored: the same topics and the same stored bytes PostgreSQL's log would hold,
as LoggedEvents, so a fold under test sees exactly what it sees in production."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from pichr.application.store.app import PichrApplication
from pichr.projections.log.events import LoggedEvent, unseal_with
from tests.support.builders import memory_app


class EventLog:
    def __init__(self, app: PichrApplication | None = None) -> None:
        self.app = app or memory_app()
        self.position = 0  # the last event `new` returned

    def record(self, *aggregates: Aggregate) -> list[LoggedEvent]:
        """Save the aggregates' pending events; the events the log recorded since last read."""
        self.app.commit(*aggregates)
        return self.new()

    def new(self) -> list[LoggedEvent]:
        """The events recorded after the last ones returned, as a projection reads them."""
        found = self.app.recorder.select_notifications(start=self.position + 1, limit=10_000)
        events = [
            LoggedEvent(n.id, n.originator_id, n.originator_version, n.topic, state=n.state)
            for n in found
        ]
        self.position = events[-1].position if events else self.position
        return unseal_with(self.app.keys.get_many, events)  # as the reader opens them
