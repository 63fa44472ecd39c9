"""A bare route for benchmarks: a constant JSON body of a requested size, from the same process.

Mounted only when PICHR_BENCH_ROUTES is on; scripts/bench compares real routes against it.
"""

from __future__ import annotations

from functools import lru_cache

from litestar import Response, get


@lru_cache(maxsize=64)
def _body(size: int) -> bytes:
    pad = max(0, size - len(b'{"pad":""}'))
    return b'{"pad":"' + b"x" * pad + b'"}'


@get("/bench/constant/{size:int}", include_in_schema=False)
async def constant(size: int) -> Response[bytes]:
    return Response(_body(min(size, 10_000_000)), media_type="application/json")
