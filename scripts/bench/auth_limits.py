"""Auth + rate limiting: GET /api/v1/files/{id} with both on, against the same route with both off.

"On": a `pichr api` process with hourly limits enforced (plan limits raised so nothing is
refused), requested with a real API key. "Off": a second `pichr api` process on the same database
with PICHR_RATE_LIMITS=false, requested anonymously (no key, so no key lookup) for the same
public file. A `pichr serve` on that database does the uploads (projections, image pipeline);
nothing requests it during the measurements. Target: on/off >= 0.85.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import httpx

from scripts.bench.common import (
    PICHR,
    Server,
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

TARGET = 0.85
HIGH = {"callsPerHour": 1_000_000_000, "uploadsPerHour": 1_000_000_000}
PLANS = json.dumps(dict.fromkeys(("anonymous", "free", "pro", "enterprise"), HIGH))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument(
        "--redis", default="", help="Redis URL for the 'on' server (default: in-process)"
    )
    p.add_argument("--breakdown", action="store_true",
                   help="also measure limits without a key, and a key without limits")  # fmt: skip
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port(), PICHR_PLANS=PLANS)
        with running(env) as setup:
            key = make_key(env)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=setup.base, headers=headers, timeout=30) as client:
                file_id = upload(client, small_jpeg(1), "bench.jpg")
            with _pair(env, args.redis) as (on, off):
                _measure(on, off, file_id, headers, args)


@contextmanager
def _pair(env: dict[str, str], redis_url: str) -> Iterator[tuple[Server, Server]]:
    """Two API processes on the same database: limits on, and limits off."""
    with ExitStack() as stack:
        servers = []
        for limits in ("true", "false"):
            api_env = env | {"PICHR_PORT": str(free_port()), "PICHR_RATE_LIMITS": limits,
                             "PICHR_API_WORKERS": "1", "PICHR_REDIS_URL": redis_url}  # fmt: skip
            servers.append(stack.enter_context(running(api_env, [*PICHR, "api"])))
        yield servers[0], servers[1]


def _measure(on: Server, off: Server, file_id: str, headers: dict[str, str],
             args: argparse.Namespace) -> None:  # fmt: skip
    path = f"/api/v1/files/{file_id}"
    for base, sent, expect in ((on.base, headers, True), (off.base, {}, False)):
        r = httpx.get(base + path, headers=sent, timeout=10)
        r.raise_for_status()
        if ("x-ratelimit-limit" in r.headers) != expect:
            raise SystemExit(f"{base}: rate-limit headers {'missing' if expect else 'present'}")
    store = args.redis or "in-process"
    print(f"GET {path}: on (key, limits on, {store} store) vs off (anonymous, limits off)")
    run = partial(wrk, duration=args.duration, connections=args.connections)
    run(on.base + path, headers=headers, duration=min(args.duration, 3.0))  # warm-up
    run(off.base + path, duration=min(args.duration, 3.0))
    measures = {
        "off": partial(run, off.base + path), "on": partial(run, on.base + path, headers=headers),
    }  # fmt: skip
    if args.breakdown:  # which of the two costs what: limits alone, the key alone
        measures["limits only"] = partial(run, on.base + path)
        measures["key only"] = partial(run, off.base + path, headers=headers)
    medians = interleaved(args.rounds, measures)
    ratio = medians["on"] / medians["off"]
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"on {medians['on']:,.0f} req/s, off {medians['off']:,.0f} req/s;"
          f" ratio {ratio:.2f} ({verdict} the target >= {TARGET})")  # fmt: skip
    for name in ("limits only", "key only"):
        if name in medians:
            share = medians[name] / medians["off"]
            print(f"{name}: {medians[name]:,.0f} req/s; ratio to off {share:.2f}")


if __name__ == "__main__":
    main()
