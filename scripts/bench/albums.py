"""Albums: GET /albums/{id} of 500 files against a constant body of the same size, and the server
time of rendering the album page.

The JSON baseline is the bare Litestar route /bench/constant/{size} in the same server process
(PICHR_BENCH_ROUTES=1). The page's server time is read from its Server-Timing header: "warm" is
a page served from the album cache, "cold" renders after a change evicted it (query + Jinja).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
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

JSON_TARGET = 0.2
PAGE_TARGET_MS = 50.0
_DURATION = re.compile(r"app;dur=([\d.]+)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--files", type=int, default=500, help="files in the album (500)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--renders", type=int, default=40, help="cold page renders to time (40)")
    args = p.parse_args(argv)
    require_wrk()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = server_env(url, Path(tmp), free_port(), PICHR_BENCH_ROUTES="1")
        with running(env) as server:
            headers = {"Authorization": f"Bearer {make_key(env)}"}
            album_id = _album(server, headers, args.files)
            _json_vs_constant(server, headers, album_id, args)
            _page_time(server, headers, album_id, args.renders)


def _album(server: Server, headers: dict[str, str], count: int) -> str:
    def one(seed: int) -> str:
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
            return upload(client, small_jpeg(seed), f"bench-{seed}.jpg")

    with ThreadPoolExecutor(max_workers=8) as pool:
        file_ids = list(pool.map(one, range(count)))
    body = {"title": "Bench album", "description": "500 files", "fileIds": file_ids}
    made = httpx.post(f"{server.base}/api/v1/albums", json=body, headers=headers, timeout=120)
    made.raise_for_status()
    print(f"uploaded {count} files into album {made.json()['id']}")
    return str(made.json()["id"])


def _json_vs_constant(server: Server, headers: dict[str, str], album_id: str,
                      args: argparse.Namespace) -> None:  # fmt: skip
    real = f"{server.base}/api/v1/albums/{album_id}"
    answer = httpx.get(real, headers=headers, timeout=30)
    answer.raise_for_status()
    size = len(answer.content)
    if len(answer.json()["files"]) != args.files:
        sys.exit(f"the album shows {len(answer.json()['files'])} files, not {args.files}")
    constant = f"{server.base}/bench/constant/{size}"
    if len(httpx.get(constant, timeout=30).content) != size:
        sys.exit(f"{constant} does not answer {size} bytes; is api/routes/baseline.py mounted?")

    def run(url: str, with_key: bool, seconds: float = args.duration) -> float:
        return wrk(url, headers=headers if with_key else None, duration=seconds,
                   connections=args.connections)  # fmt: skip

    print(f"\nGET /api/v1/albums/{{id}} ({args.files} files, {size} bytes) vs constant")
    run(real, True, min(args.duration, 3.0))  # warm-up
    run(constant, False, min(args.duration, 3.0))
    medians = interleaved(args.rounds, {
        "constant": partial(run, constant, False), "real": partial(run, real, True),
    })  # fmt: skip
    ratio = medians["real"] / medians["constant"]
    verdict = "meets" if ratio >= JSON_TARGET else "MISSES"
    print(f"album JSON: real {medians['real']:,.0f} req/s, constant {medians['constant']:,.0f}"
          f" req/s; ratio {ratio:.2f} ({verdict} the target >= {JSON_TARGET})")  # fmt: skip


def _page_time(server: Server, headers: dict[str, str], album_id: str, renders: int) -> None:
    page = f"{server.base}/a/{album_id}"
    with httpx.Client(timeout=30) as client:
        warm = [_server_ms(client.get(page)) for _ in range(200)]
        cold = []
        for i in range(renders):
            patch = {"description": f"render {i}"}  # evicts the album from the cache
            changed = client.patch(f"{server.base}/api/v1/albums/{album_id}", json=patch,
                                   headers=headers)  # fmt: skip
            changed.raise_for_status()
            cold.append(_server_ms(client.get(page)))
    size = len(httpx.get(page, timeout=30).content)
    median = statistics.median(cold)
    verdict = "meets" if median < PAGE_TARGET_MS else "MISSES"
    print(
        f"\nalbum page ({size} bytes of HTML): server time median cold (query + render)"
        f" {median:.2f} ms (p90 {_p90(cold):.2f}), warm (cached)"
        f" {statistics.median(warm):.2f} ms; {verdict} the target < {PAGE_TARGET_MS:g} ms"
    )


def _server_ms(response: httpx.Response) -> float:
    response.raise_for_status()
    found = _DURATION.search(response.headers.get("server-timing", ""))
    if not found:
        sys.exit("the page answered without a Server-Timing header")
    return float(found.group(1))


def _p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9) - 1]


if __name__ == "__main__":
    main()
