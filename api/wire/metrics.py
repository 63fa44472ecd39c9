"""The Prometheus text of /metrics: this role's processes' counters and histograms (added up
from the multiprocess directory when the launcher set one), then the gauges read from the
database at scrape time (projections/queries/ops.py)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from pichr.application.metrics import MULTIPROC_ENV
from pichr.projections.queries.ops import OpsState


def process_metrics() -> bytes:
    """Blocking (reads the processes' files): run it in a thread."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


FOLLOWER_GAUGES = {  # Follower's fields, each a gauge by follower (projection or job dispatcher)
    "position": "Last log position the follower folded",
    "lag_events": "Events in the log the follower has not folded yet",
    "lag_seconds": "Age of the oldest event the follower has not folded (0: caught up)",
}


class _Gauges(Collector):
    def __init__(self, state: OpsState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        s = self.state
        head = GaugeMetricFamily("pichr_log_head", "Position of the last event in the log")
        head.add_metric([], s.head)
        yield head
        for name, text in FOLLOWER_GAUGES.items():
            family = GaugeMetricFamily(f"pichr_projection_{name}", text, labels=["projection"])
            for follower in s.followers:
                family.add_metric([follower.name], getattr(follower, name))
            yield family
        for state, jobs, text in (
            ("queued", s.queued, "Jobs waiting in the PostgreSQL broker (retries included)"),
            ("running", s.running, "Jobs a worker holds in the PostgreSQL broker"),
            ("dead", s.dead, "Jobs whose retries are exhausted (`pichr jobs failed`)"),
        ):
            family = GaugeMetricFamily(f"pichr_jobs_{state}", text, labels=["queue"])
            for queue, count in sorted(jobs.items()):
                family.add_metric([queue], count)
            yield family


def database_metrics(state: OpsState) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Gauges(state))
    return generate_latest(registry)
