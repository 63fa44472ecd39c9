"""`pichr events export` (the log as JSON lines) and `pichr events catalogue` (docs/events.md)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

import msgspec
import psycopg

from pichr.domain.catalogue import markdown
from pichr.domain.log import EVENTS_TABLE
from pichr.projections.queries.feed import stream

_encode = msgspec.json.Encoder().encode


class Progress:
    """A bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out, self.done = max(total, 1), out, 0
        self.started = self.shown = time.monotonic()
        self.enabled = out.isatty()

    def step(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self.shown > 0.2 or self.done == self.total):
            self.shown = now
            filled = int(30 * min(self.done, self.total) / self.total)
            rate = self.done / max(now - self.started, 1e-6)
            bar = "#" * filled + "." * (30 - filled)
            self.out.write(f"\r[{bar}] {self.done}/{self.total} events {rate:,.0f}/s")
            self.out.flush()

    def close(self) -> None:
        if self.enabled:
            self.out.write("\n")


def export(args: argparse.Namespace, database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {EVENTS_TABLE} WHERE notification_id > %s", (args.after,)
        ).fetchone()
    total = min(int(row[0]) if row else 0, args.limit if args.limit is not None else 2**62)
    progress = Progress(total, sys.stderr)
    out = sys.stdout.buffer
    batch: list[bytes] = []
    for entry in stream(database_url, args.after, args.limit):
        batch.append(_encode(entry))
        if len(batch) == 1000:
            _flush(out, batch, progress)
    _flush(out, batch, progress)
    out.flush()
    progress.close()
    return 0


def _flush(out: Any, batch: list[bytes], progress: Progress) -> None:
    if batch:
        out.write(b"\n".join(batch) + b"\n")
        progress.step(len(batch))
        batch.clear()


def catalogue(_: argparse.Namespace) -> int:
    sys.stdout.write(markdown())
    return 0


def add_events(sub: Any, url: Any) -> None:
    """`pichr events export|catalogue`; `url()` resolves the database (only export needs it)."""
    events = sub.add_parser("events", help="the event log for analytics").add_subparsers(
        dest="events_command", required=True
    )
    e = events.add_parser(
        "export",
        help="every event as a JSON line on stdout (personal data redacted); resumable",
        description="Writes {position, type, aggregateId, version, time, payload} per line in "
        "log order. Resume an interrupted export with --after <last position written>.",
    )
    e.add_argument("--after", type=int, default=0, help="start after this log position")
    e.add_argument("--limit", type=int, default=None, help="at most this many events")
    e.set_defaults(run=lambda args: export(args, url()))
    c = events.add_parser("catalogue", help="print docs/events.md: every event type and field")
    c.set_defaults(run=catalogue)
