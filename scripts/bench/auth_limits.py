"""Auth + rate limiting: GET /api/v1/files/{id} with both on, against the same route with both off.

"On": a `pichr api` process with hourly limits enforced (plan limits raised so nothing is
refused), requested with a real API key; its limit store is in-process (the embedded default),
and with --redis a second "on" process counts on that Redis (the scale-out store). "Off": a
`pichr api` process on the same database with PICHR_RATE_LIMITS=false, requested anonymously
(no key, so no key lookup) for the same public file. A `pichr serve` on that database does the
uploads (projections, image pipeline); nothing requests it during the measurements.
Target: on/off >= 0.85.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--redis", default="", help="also measure limits on this Redis (URL)")
    p.add_argument("--breakdown", action="store_true",
                   help="also measure limits without a key, and a key without limits")  # fmt: skip
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port())
        with running(env) as setup:
            key = make_key(env)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=setup.base, headers=headers, timeout=30) as client:
                file_id = upload(client, small_jpeg(1), "bench.jpg")
            with ExitStack() as stack:
                servers = {"off": _api(stack, env, "false", "")}
                servers["on"] = _api(stack, env, "true", "")
                if args.redis:
                    servers["on, Redis"] = _api(stack, env, "true", args.redis)
                _measure(servers, file_id, headers, args)


def _api(stack: ExitStack, env: dict[str, str], limits: str, redis_url: str) -> Server:
    """A `pichr api` process (one worker) on the same database."""
    api_env = env | {"PICHR_PORT": str(free_port()), "PICHR_RATE_LIMITS": limits,
                     "PICHR_API_WORKERS": "1", "PICHR_REDIS_URL": redis_url}  # fmt: skip
    return stack.enter_context(running(api_env, [*PICHR, "api"]))


def _measure(servers: dict[str, Server], file_id: str, headers: dict[str, str],
             args: argparse.Namespace) -> None:  # fmt: skip
    path = f"/api/v1/files/{file_id}"
    sent = {name: {} if name == "off" else headers for name in servers}
    for name, server in servers.items():
        r = httpx.get(server.base + path, headers=sent[name], timeout=10)
        r.raise_for_status()
        if ("x-ratelimit-limit" in r.headers) != (name != "off"):
            raise SystemExit(
                f"{name}: rate-limit headers {'present' if name == 'off' else 'missing'}"
            )
    print(f"GET {path}: on (a key, limits on) vs off (anonymous, limits off)")
    run = partial(wrk, duration=args.duration, connections=args.connections)
    measures = {
        name: partial(run, s.base + path, headers=sent[name]) for name, s in servers.items()
    }
    if args.breakdown:  # which of the two costs what: limits alone, the key alone
        measures["limits only"] = partial(run, servers["on"].base + path)
        measures["key only"] = partial(run, servers["off"].base + path, headers=headers)
    for measure in measures.values():  # warm-up: pools filled, code paths hot
        measure(duration=min(args.duration, 3.0))
    cpu: dict[str, list[float]] = {name: [] for name in measures}
    medians = interleaved(args.rounds, {
        name: partial(_with_cpu, measure, _server_of(name, servers), args.duration, cpu[name])
        for name, measure in measures.items()
    })  # fmt: skip
    off = medians.pop("off")
    print(f"off {off:,.0f} req/s, server CPU {statistics.median(cpu['off']):.0f} us/request")
    for name, value in medians.items():
        ratio = value / off
        verdict = "" if name not in servers else (
            f" ({'meets' if ratio >= TARGET else 'MISSES'} the target >= {TARGET})"
        )  # fmt: skip
        print(f"{name}: {value:,.0f} req/s; ratio to off {ratio:.2f}{verdict};"
              f" server CPU {statistics.median(cpu[name]):.0f} us/request")  # fmt: skip


def _server_of(name: str, servers: dict[str, Server]) -> Server:
    return servers.get(name) or servers["on" if name == "limits only" else "off"]


def _with_cpu(measure: Callable[[], float], server: Server, seconds: float,
              out: list[float]) -> float:  # fmt: skip
    """Requests/s, and the server's CPU time per request appended to `out`: a figure that
    other load on a shared machine disturbs less than throughput."""
    before = _cpu_seconds(server)
    rate = measure()
    out.append((_cpu_seconds(server) - before) / (rate * seconds) * 1e6)
    return rate


def _cpu_seconds(server: Server) -> float:
    """User + system CPU of the server's worker processes (the children of `pichr api`)."""
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text()
    total = 0
    for pid in children.split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
