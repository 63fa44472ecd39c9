"""metrics_cost.py --http: read_path.py's two reads and its constant baseline, each on two
`pichr serve` processes of one database, PICHR_METRICS=false and =true, in interleaved wrk
rounds. Prints on/off for each route and read_path's ratio (real/constant) with metrics off
and on; the target: that ratio moves by less than 5%.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from functools import partial
from pathlib import Path

import httpx

from scripts.bench.common import (
    free_port,
    interleaved,
    make_key,
    require_wrk,
    running,
    scratch_database,
    server_env,
    small_jpeg,
    upload,
    wrk,
)

TARGET = 0.05


def compare_over_http(duration: float, rounds: int, files: int = 60) -> None:
    require_wrk()
    args = argparse.Namespace(duration=duration, rounds=rounds, connections=64)
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory() as tmp,
        contextlib.ExitStack() as st,
    ):
        bases = {}
        for name, on in (("off", "false"), ("on", "true")):
            env = server_env(url, Path(tmp), free_port(), PICHR_BENCH_ROUTES="1", PICHR_METRICS=on)
            bases[name] = st.enter_context(running(env)).base
        headers = {"Authorization": f"Bearer {make_key(env)}", "X-Safe-Mode": "off"}
        with httpx.Client(base_url=bases["on"], headers=headers, timeout=30) as client:
            ids = [upload(client, small_jpeg(i), f"bench-{i}.jpg") for i in range(files)]
        print(f"uploaded {files} files")
        _compare(bases, headers, ids[0], args)


def _compare(bases: dict[str, str], headers: dict[str, str], file_id: str,
             args: argparse.Namespace) -> None:  # fmt: skip
    for label, path in (("one file", f"/api/v1/files/{file_id}"),
                        ("list of 50", "/api/v1/files?limit=50")):  # fmt: skip
        size = len(httpx.get(bases["on"] + path, headers=headers, timeout=10).content)
        constant = f"/bench/constant/{size}"
        runs = {
            f"{route} {state}": partial(
                wrk, bases[state] + target, headers=headers if route == "real" else None,
                duration=args.duration, connections=args.connections,
            )
            for state in ("off", "on")
            for route, target in (("real", path), ("constant", constant))
        }  # fmt: skip
        print(f"\n{label}: GET {path} ({size} bytes) and GET {constant}, metrics off and on")
        for run in runs.values():  # warm-up: pools filled, code paths hot
            run(duration=min(args.duration, 3.0))
        m = interleaved(args.rounds, runs)
        off, on = m["real off"] / m["constant off"], m["real on"] / m["constant on"]
        change = on / off - 1
        verdict = "meets" if abs(change) < TARGET else "MISSES"
        print(f"{label}: real on/off {m['real on'] / m['real off']:.3f},"
              f" constant on/off {m['constant on'] / m['constant off']:.3f};"
              f" read_path ratio off {off:.3f}, on {on:.3f} ({change:+.1%},"
              f" {verdict} the target: within 5%)")  # fmt: skip
