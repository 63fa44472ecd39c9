"""Served views and downloads, counted in memory and recorded in batches.

Recording one event per view would put a write on every image request; a tally records the
counts of a short interval as one event on a fresh aggregate, so it never contends with
commands on the File itself.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event


class ViewTally(Aggregate):
    TOPIC = "pichr.tally.ViewTally.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.tally.Created.v1"

    @event("ViewsTallied", topic="pichr.tally.ViewsTallied.v1")
    def __init__(self, *, views: dict[str, int], downloads: dict[str, int]) -> None:
        self.views = views
        self.downloads = downloads
