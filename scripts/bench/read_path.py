"""Read path: GET /files/{id} and GET /files?limit=50 against a constant body of the same size.

The baseline is a bare Litestar route in the same server process (PICHR_BENCH_ROUTES=1), so
the ratio is what our auth, query and serialisation cost over the framework's floor. Also
compares granian with uvicorn on that constant route.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from functools import partial
from pathlib import Path

import httpx

from scripts.bench.common import (
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

TARGETS = {"one file": 0.5, "list of 50": 0.25}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per pair (3)")
    p.add_argument("--files", type=int, default=60, help="files to upload (60)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--skip-uvicorn", action="store_true", help="skip granian vs uvicorn")
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port(), PICHR_BENCH_ROUTES="1")
        with running(env) as server:
            key = make_key(env)
            # Safe mode off: a synthetic image the NSFW model happens to flag must not turn the
            # measured route into a 403.
            headers = {"Authorization": f"Bearer {key}", "X-Safe-Mode": "off"}
            file_id = _upload_files(server, headers, args.files)
            _real_vs_constant(server, headers, file_id, args)
            if not args.skip_uvicorn:
                _granian_vs_uvicorn(server, env, args)


def _upload_files(server: Server, headers: dict[str, str], count: int) -> str:
    with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
        ids = [upload(client, small_jpeg(i), f"bench-{i}.jpg") for i in range(count)]
    print(f"uploaded {count} files")
    return ids[0]


def _real_vs_constant(server: Server, headers: dict[str, str], file_id: str,
                      args: argparse.Namespace) -> None:  # fmt: skip
    def run(url: str, with_key: bool, seconds: float = args.duration) -> float:
        return wrk(url, headers=headers if with_key else None, duration=seconds,
                   connections=args.connections)  # fmt: skip

    for label, path in (("one file", f"/api/v1/files/{file_id}"),
                        ("list of 50", "/api/v1/files?limit=50")):  # fmt: skip
        real = server.base + path
        size = _body_size(real, headers)
        constant = f"{server.base}/bench/constant/{size}"
        if _body_size(constant, {}) != size:
            sys.exit(f"{constant} does not answer {size} bytes; is api/routes/baseline.py mounted?")
        print(f"\n{label}: GET {path} ({size} bytes) vs GET /bench/constant/{size}")
        run(real, True, min(args.duration, 3.0))  # warm-up: pools filled, code paths hot
        run(constant, False, min(args.duration, 3.0))
        medians = interleaved(args.rounds, {
            "constant": partial(run, constant, False), "real": partial(run, real, True),
        })  # fmt: skip
        _report(label, medians["real"], medians["constant"], TARGETS[label])


def _granian_vs_uvicorn(server: Server, env: dict[str, str], args: argparse.Namespace) -> None:
    if importlib.util.find_spec("uvicorn") is None:  # not a dependency: only this comparison
        print("\ngranian vs uvicorn: skipped (`.venv/bin/pip install uvicorn` to run it)")
        return
    port = free_port()
    uv_env = env | {"PICHR_PORT": str(port), "PICHR_EMBED_PROJECTIONS": "1"}
    argv = [sys.executable, "-m", "uvicorn", "--factory", "pichr.scripts.asgi:app",
            "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with running(uv_env, argv) as uv:
        size = 1024
        print(f"\ngranian vs uvicorn: GET /bench/constant/{size}")
        servers = {"granian": server.base, "uvicorn": uv.base}
        for base in servers.values():
            wrk(f"{base}/bench/constant/{size}", duration=min(args.duration, 3.0))
        medians = interleaved(args.rounds, {
            name: partial(wrk, f"{base}/bench/constant/{size}", duration=args.duration,
                          connections=args.connections)
            for name, base in servers.items()
        })  # fmt: skip
    ratio = medians["uvicorn"] / medians["granian"]
    print(f"granian {medians['granian']:,.0f} req/s, uvicorn {medians['uvicorn']:,.0f} req/s;"
          f" uvicorn/granian = {ratio:.2f}")  # fmt: skip


def _body_size(url: str, headers: dict[str, str]) -> int:
    r = httpx.get(url, headers=headers, timeout=10)
    r.raise_for_status()
    if "files" in r.json():
        print(f"  the list holds {len(r.json()['files'])} files")
    return len(r.content)


def _report(label: str, real: float, constant: float, target: float) -> None:
    ratio = real / constant
    verdict = "meets" if ratio >= target else "MISSES"
    print(f"{label}: real {real:,.0f} req/s, constant {constant:,.0f} req/s;"
          f" ratio {ratio:.2f} ({verdict} the target >= {target})")  # fmt: skip


if __name__ == "__main__":
    main()
