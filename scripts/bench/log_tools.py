"""Issue 6 figures: a full rebuild of every read model, and the feed export, from one log.

    .venv/bin/python -m scripts.bench.log_tools [--events 500000] [--rounds 2] [--album-size 5]

Targets: rebuild of all read models >= 20,000 events/s; export >= 50,000 events/s to a file.
The baseline printed beside them is a bare read of the same log (SELECT every row, decode
nothing) in the same run, so the ratios say how much of the machine's read speed they keep.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import psycopg

from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.replay import rebuild_all as replay_all
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all
from scripts.bench.common import interleaved, scratch_database
from scripts.bench.rebuild import generate


def bare_read(url: str) -> float:
    start = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor(name="bare") as cur:
        cur.itersize = 5000
        cur.execute(f"SELECT notification_id, originator_id, topic, state FROM {EVENTS_TABLE}")
        count = sum(1 for _ in cur)
    return count / (time.perf_counter() - start)


def rebuild_all(url: str, events: int) -> float:
    """What `pichr replay` does: every read model, two processes at a time."""
    start = time.perf_counter()
    for _ in replay_all(url, [p.name for p in all_projections()], workers=2):
        pass
    return events / (time.perf_counter() - start)


def export(url: str, events: int) -> float:
    env = {**os.environ, "PICHR_DATABASE_URL": url}
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pichr.scripts.cli", "events", "export"],
            env=env,
            stdout=out,
            check=True,
        )
        took = time.perf_counter() - start
        lines = _count_lines(out)
    assert lines == events, (lines, events)  # noqa: S101  (a broken export is no figure)
    return events / took


def _count_lines(out: tempfile._TemporaryFileWrapper[bytes]) -> int:
    out.seek(0)
    return sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--album-size", type=int, default=0, help="every N files (N <= 30) in an album (0: none)"
    )
    args = parser.parse_args(argv)
    with scratch_database() as url:
        ensure_all(url)
        events = generate(url, args.events, album_size=args.album_size)
        medians = interleaved(
            args.rounds,
            {
                "bare read events/s": lambda: bare_read(url),
                "rebuild all read models events/s": lambda: rebuild_all(url, events),
                "export to a file events/s": lambda: export(url, events),
            },
        )
    bare = medians["bare read events/s"]
    for name, target in (
        ("rebuild all read models events/s", 20_000),
        ("export to a file events/s", 50_000),
    ):
        rate = medians[name]
        verdict = "meets" if rate >= target else "MISSES"
        print(
            f"{name}: {rate:,.0f} (target >= {target:,}: {verdict}); "
            f"{rate / bare:.2f} of a bare read ({bare:,.0f}/s)"
        )


if __name__ == "__main__":
    main()
