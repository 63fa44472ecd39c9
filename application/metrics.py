"""The command side's Prometheus metrics (uploads, analyses, renders, blob-store errors), and
how the processes of one role share them.

Every metric here has labels, so no value exists before its first use: a process that forks
server workers (`pichr serve`, `pichr api`) creates none, and each worker writes its own values
into the role's multiprocess directory once `share_between_processes` chose it. The API's
/metrics adds them up (api/routes/metrics.py). Hook points elsewhere are one call each.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from prometheus_client import Counter, Histogram, values

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own name for it
P = ParamSpec("P")
R = TypeVar("R")
# Images take from milliseconds (a thumbnail) to seconds (a large HEIC, a model run).
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

UPLOADS = Counter(
    "pichr_uploads_total",
    "Finalized uploads by outcome: finalized, rejected (not an accepted image), blocked"
    " (matches content removed by moderation)",
    ["outcome"],
)
ANALYSIS = Histogram(
    "pichr_analysis_duration_seconds",
    "Analysis time per file (a batch's wall time shared by its files), by outcome: analyzed,"
    " failed (bytes that cannot be analyzed); _count is the files analyzed",
    ["outcome"],
    buckets=SECONDS,
)
RENDERS = Histogram(
    "pichr_render_duration_seconds",
    "Time to render a derived image, by kind (thumbnail, rendition, variant)",
    ["kind"],
    buckets=SECONDS,
)
BLOB_ERRORS = Counter(
    "pichr_blob_store_errors_total",
    "Blob-store calls that failed because the store could not be used",
    ["error"],
)


def share_between_processes(directory: Path) -> None:
    """Called by a launcher before it starts the server's worker processes: their values go to
    files under `directory` (emptied: values of an earlier run are not this run's), which
    /metrics in any of them adds up."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory.resolve())
    # The client chooses where values live when it is imported, maybe before this call.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def upload_finalized(outcome: str) -> None:
    UPLOADS.labels(outcome).inc()


def blob_store_failed(error: str = "unavailable") -> None:
    BLOB_ERRORS.labels(error).inc()


class Analyses(Protocol):
    """What an analysis run recorded (application/analysis/commands.py's Recorded)."""

    @property
    def analyzed(self) -> tuple[str, ...]: ...

    @property
    def failed(self) -> tuple[str, ...]: ...


A = TypeVar("A", bound=Analyses)


def timed_analysis(run: Callable[P, A]) -> Callable[P, A]:
    """A decorator of an analysis run: one observation per file it analyzed or failed, each
    the run's wall time shared by its files (a batch is one model run and one commit)."""

    @wraps(run)
    def timed(*args: P.args, **kwargs: P.kwargs) -> A:
        started = time.perf_counter()
        done = run(*args, **kwargs)
        files = len(done.analyzed) + len(done.failed)
        share = (time.perf_counter() - started) / max(1, files)
        for outcome, count in (("analyzed", len(done.analyzed)), ("failed", len(done.failed))):
            child = ANALYSIS.labels(outcome)
            for _ in range(count):
                child.observe(share)
        return done

    return timed


def timed_render(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator: each call of the renderer is one observation of `kind`."""

    def decorate(render: Callable[P, R]) -> Callable[P, R]:
        @wraps(render)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return render(*args, **kwargs)
            finally:
                RENDERS.labels(kind).observe(time.perf_counter() - started)

        return timed

    return decorate
