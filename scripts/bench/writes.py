"""Writes: PATCH /files/{id} (one command, one event, read-your-writes) and POST /upload/presign
from 1, 8 and 32 connections spread over 8 accounts, against GET /files/{id} from the same
connections in the same run (the read path's rate: what the server does when nothing waits on a
commit), and raw PostgreSQL single-row commits from as many connections (pgbench: the floor).

Targets (issue 15): PATCH at 32 connections / GET at 32 >= 0.15; PATCH at 32 / PATCH at 1 >= 4.
`--api-workers 2` runs `pichr api` with two processes against one `pichr projections`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import httpx
from psycopg.conninfo import conninfo_to_dict

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
    wrk_script,
)

ACCOUNTS = 8
FILES_PER_ACCOUNT = 32  # concurrent PATCHes rarely touch one file (optimistic concurrency)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run (8)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    p.add_argument("--connections", default="1,8,32", help="connection counts (1,8,32)")
    p.add_argument("--api-workers", type=int, default=0,
                   help="also `pichr api` with N processes + `pichr projections`")  # fmt: skip
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port())
        with running(env) as server:
            targets = _targets(server, env)
            counts = [int(c) for c in args.connections.split(",")]
            measures = _measures(server, targets, counts, args.duration)
            measures |= _pgbench(url, counts, args.duration)
            if args.api_workers:
                measures |= _scaled_out(env, url, targets, max(counts), args)
            _report(interleaved(args.rounds, measures), counts, args)


def _targets(server: Server, env: dict[str, str]) -> list[tuple[str, str]]:
    """(file id, key) pairs: FILES_PER_ACCOUNT files for each of ACCOUNTS accounts."""
    pairs = []
    for a in range(ACCOUNTS):
        key = make_key(env)
        headers = {"Authorization": f"Bearer {key}", "X-Safe-Mode": "off"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
            pairs += [
                (upload(client, small_jpeg(a * 100 + f), f"w-{a}-{f}.jpg"), key)
                for f in range(FILES_PER_ACCOUNT)
            ]
    return pairs


def _lua(targets: list[tuple[str, str]], method: str, kind: str) -> str:
    """A wrk script cycling over the targets, each thread from its own offset."""
    rows = ",".join(f'{{"{fid}","{key}"}}' for fid, key in targets)
    if kind == "patch":
        path, body = '"/api/v1/files/" .. t[1]', "'{\"title\":\"t' .. n .. '\"}'"
    elif kind == "presign":
        body = json.dumps({"filename": "a.jpg", "mime": "image/jpeg", "bytes": 1000})
        path, body = '"/api/v1/upload/presign"', f"[[{body}]]"
    else:
        path, body = '"/api/v1/files/" .. t[1]', "nil"
    return f"""
local targets = {{{rows}}}
local n = 0
local counter = 0
function setup(thread) counter = counter + 1; thread:set("offset", counter * 997) end
function init(args) n = tonumber(offset) or 0 end
function request()
  n = n + 1
  local t = targets[(n % #targets) + 1]
  local headers = {{["Authorization"] = "Bearer " .. t[2], ["Content-Type"] = "application/json",
                    ["X-Safe-Mode"] = "off"}}
  return wrk.format("{method}", {path}, headers, {body})
end
"""


def _measures(server: Server, targets: list[tuple[str, str]], counts: list[int],
              seconds: float) -> dict[str, Callable[[], float]]:  # fmt: skip
    scripts = {
        kind: _script(targets, method, kind)
        for kind, method in (("patch", "PATCH"), ("presign", "POST"), ("get", "GET"))
    }
    measures = {}
    for c in counts:
        for kind, script in scripts.items():
            threads = min(2, c)
            measures[f"{kind} x{c}"] = partial(
                wrk_script, server.base, script, connections=c, threads=threads, duration=seconds
            )
    return measures


def _script(targets: list[tuple[str, str]], method: str, kind: str) -> str:
    path = Path(tempfile.mkstemp(suffix=f"-{kind}.lua")[1])
    path.write_text(_lua(targets, method, kind))
    return str(path)


def _pgbench(url: str, counts: list[int], seconds: float) -> dict[str, Callable[[], float]]:
    """Single-row INSERT commits from c connections: what PostgreSQL itself can commit."""
    params = conninfo_to_dict(url)
    base = ["-h", str(params.get("host", "127.0.0.1")), "-p", str(params.get("port", 5432)),
            "-U", str(params.get("user", "postgres")), str(params["dbname"])]  # fmt: skip
    subprocess.run(["psql", *base, "-qc", "CREATE TABLE IF NOT EXISTS bench_rows (v int)"],
                   check=True)  # fmt: skip
    sql = Path(tempfile.mkstemp(suffix=".sql")[1])
    sql.write_text("INSERT INTO bench_rows VALUES (1);\n")

    def run(c: int) -> float:
        out = subprocess.run(
            ["pgbench", "-n", "-f", str(sql), "-c", str(c), "-j", str(min(c, 2)),
             "-T", str(int(seconds)), *base], capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return float(out.split("tps = ")[1].split()[0])

    return {f"pg commit x{c}": partial(run, c) for c in counts}


def _scaled_out(env: dict[str, str], url: str, targets: list[tuple[str, str]], c: int,
                args: argparse.Namespace) -> dict[str, Callable[[], float]]:  # fmt: skip
    stack = ExitStack()
    stack.enter_context(running(env | {"PICHR_PORT": str(free_port())}, [*PICHR, "projections"]))
    api_env = env | {"PICHR_PORT": str(free_port()), "PICHR_API_WORKERS": str(args.api_workers)}
    api = stack.enter_context(running(api_env, [*PICHR, "api"]))
    script = _script(targets, "PATCH", "patch")
    _scaled_out.stack = stack  # type: ignore[attr-defined]  (closed at exit)
    return {
        f"patch x{c}, api x{args.api_workers}": partial(
            wrk_script, api.base, script, connections=c, threads=2, duration=args.duration
        )
    }


def _report(medians: dict[str, float], counts: list[int], args: argparse.Namespace) -> None:
    top, one = max(counts), min(counts)
    print("\nmedians (requests or commits per second):")
    for name, value in medians.items():
        print(f"  {name}: {value:,.0f}")
    patch_top, get_top = medians[f"patch x{top}"], medians[f"get x{top}"]
    print(f"PATCH x{top} / GET x{top}: {patch_top / get_top:.3f} (target >= 0.15)")
    print(f"PATCH x{top} / PATCH x{one}: {patch_top / medians[f'patch x{one}']:.2f} (target >= 4)")
    print(f"PATCH x{top} / pg commits x{top}: {patch_top / medians[f'pg commit x{top}']:.3f}")
    print(f"presign x{top}: {medians[f'presign x{top}']:,.0f}/s")


if __name__ == "__main__":
    main()
