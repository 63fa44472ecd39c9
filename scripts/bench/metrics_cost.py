"""What /metrics costs the read path: read_path.py's two reads and its constant baseline
(/bench/constant/{size}), on the app with PICHR_METRICS=false and =true.

By default in process (read_path_inproc.py's set-up: the ASGI app called straight, the rows
from a scratch PostgreSQL through the read cache), as CPU time per call, best of the rounds:
on a machine others share, wrk's throughput moves by more than the 5% to be measured. The
values go to a multiprocess directory, as under `pichr serve`/`pichr api`. read_path's ratio
is constant/real (throughput real over constant); the target: it moves by less than 5%.
`--http`: the same over HTTP with wrk, two `pichr serve` of one database (off and on).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pichr.api.app import create_app
from pichr.api.middleware.logs import request_id_middleware
from pichr.api.middleware.metrics import observe
from pichr.application.metrics import share_between_processes
from pichr.application.settings import Settings
from pichr.projections.queries.cache import ReadCache
from scripts.bench.common import scratch_database
from scripts.bench.metrics_http import compare_over_http
from scripts.bench.read_path_inproc import _call, _fill, _per_call, _services

TARGET = 0.05


async def _middleware_alone(calls: int, rounds: int) -> None:
    """The request id's middleware around a bare endpoint, without and with `observe`: what
    counting one request costs, apart from everything else a request does."""

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        scope["path_template"] = "/api/v1/files/{file_id}"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    apps = {"off": request_id_middleware(endpoint), "on": request_id_middleware(endpoint, observe)}
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(rounds):
        for state, app in apps.items():
            best[state] = min(best[state], await _per_call(app, "/x", b"", calls))
    print(f"counting one request: {best['on'] - best['off']:.2f} us CPU"
          f" ({best['off']:.2f} -> {best['on']:.2f} us around a bare endpoint)")  # fmt: skip


async def _run(url: str, file_id: str, args: argparse.Namespace) -> None:
    await _middleware_alone(args.calls * 5, args.rounds)
    base = dataclasses.replace(Settings(), log_level="WARNING", bench_routes=True)
    apps = {}
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        cache = ReadCache()
        await cache.reset({})
        for state, on in (("off", False), ("on", True)):
            settings = dataclasses.replace(base, metrics=on)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                apps[state] = app = create_app(settings, _no_lifespan)
            app.state.services = _services(settings, pool, cache)
        for label, path, query in (
            ("one file", f"/api/v1/files/{file_id}", b""),
            ("list of 50", "/api/v1/files", b"limit=50"),
        ):
            status, size = await _call(apps["on"], path, query)
            if status != 200:
                raise SystemExit(f"{label}: {status}")
            targets = {"real": (path, query), "constant": (f"/bench/constant/{size}", b"")}
            best = {f"{r} {s}": float("inf") for r in targets for s in apps}
            for _ in range(args.rounds):  # interleaved: off and on see the same machine
                for state, app in apps.items():
                    for route, (p, q) in targets.items():
                        spent = await _per_call(app, p, q, args.calls)
                        best[f"{route} {state}"] = min(best[f"{route} {state}"], spent)
            _report(label, size, best)


def _report(label: str, size: int, us: dict[str, float]) -> None:
    off = us["constant off"] / us["real off"]
    on = us["constant on"] / us["real on"]
    change = on / off - 1
    verdict = "meets" if abs(change) < TARGET else "MISSES"
    print(f"{label} ({size} bytes): real {us['real off']:.1f} -> {us['real on']:.1f} us CPU/call,"
          f" constant {us['constant off']:.1f} -> {us['constant on']:.1f} us;"
          f" read_path ratio off {off:.3f}, on {on:.3f} ({change:+.1%}: {verdict} the target,"
          " within 5%)")  # fmt: skip


def _no_lifespan(app: Any) -> Any:
    from contextlib import nullcontext  # noqa: PLC0415

    return nullcontext()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--calls", type=int, default=20_000, help="calls per measure (20,000)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    p.add_argument("--http", action="store_true", help="over HTTP with wrk instead")
    p.add_argument("--duration", type=float, default=10.0, help="--http: seconds per wrk run")
    args = p.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.http:
        compare_over_http(args.duration, args.rounds)
    else:
        with tempfile.TemporaryDirectory() as tmp, scratch_database() as url:
            share_between_processes(Path(tmp))
            asyncio.run(_run(url, _fill(url, 60), args))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
