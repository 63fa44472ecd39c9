"""Read path in process: GET /files/{id} and GET /files?limit=50 called straight on the ASGI app.

No server and no sockets: the app `pichr serve` builds, its services stubbed where they are not
the read path (the key lookup, rate limits) and real where they are (ReadModels on a pool, the
read cache, the controllers, the middleware). The rows live in a scratch PostgreSQL table,
are fetched once and then answered from the read cache, as on a warm server. Prints the CPU
cost per call (best of the rounds) beside a bare ASGI callable that answers the same bytes.
Run: `.venv/bin/python -m scripts.bench.read_path_inproc` (`--calls 20000 --rounds 3`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pichr.api.app import create_app
from pichr.api.services import Services
from pichr.api.wire.views import Urls
from pichr.application.settings import Settings
from pichr.application.uploads.plans import load_plans
from pichr.domain.principal import Principal
from pichr.projections.queries.cache import ReadCache
from pichr.projections.queries.reads import ReadModels
from pichr.projections.views.file_listing import COLUMNS, FileListingProjection
from scripts.bench.common import scratch_database

OWNER = "usr_bench"
WHO = Principal(OWNER, "key_bench", frozenset({"read", "upload", "write"}), "pro")


class StubAuth:
    usage = None

    async def principal(self, authorization: str | None) -> Principal:
        return WHO


def _rows(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row |= {
            "id": f"file_bench{i:06d}", "owner_id": OWNER, "upload_id": f"upl_{i}",
            "status": "ready", "filename": f"b{i}.jpg", "mime": "image/jpeg", "bytes": 1000 + i,
            "sha256": "ab" * 32, "width": 64, "height": 48, "title": f"bench {i}",
            "description": None, "visibility": "public", "tags": ["a", "b"],
            "hotlink_policy": "allow", "hotlink_whitelist": [], "blob_key": f"k/{i}",
            "etag": "e", "nsfw_score": 0.01, "phash": "00ff00ff00ff00ff", "view_count": i,
            "download_count": 0, "created_at": now - timedelta(seconds=i), "updated_at": now,
            "finalized_at": now, "position": i + 1, "analyzed_at": now,
            "rendition_key": f"r/{i}", "rendition_bytes": 900, "rendition_mime": "image/jpeg",
            "rendition_sha256": "cd" * 32, "thumbnail_key": f"t/{i}", "thumbnail_bytes": 100,
            "thumbnail_sha256": "ef" * 32, "age_restricted": False,
        }  # fmt: skip
        rows.append(row)
    return rows


def _fill(url: str, count: int) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in FileListingProjection().create_sql(""):
            conn.execute(sql)
        marks = ", ".join(["%s"] * len(COLUMNS))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO file_listing ({', '.join(COLUMNS)}) VALUES ({marks})",
                [tuple(r[c] for c in COLUMNS) for r in _rows(count)],
            )
    return "file_bench000000"


def _services(settings: Settings, pool: AsyncConnectionPool[Any], cache: ReadCache) -> Services:
    stubs: dict[str, Any] = {
        f.name: None
        for f in dataclasses.fields(Services)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    stubs |= {
        "settings": settings, "reads": ReadModels(pool, cache), "auth": StubAuth(),
        "urls": Urls(settings.base_url, settings.cdn_url), "plans": load_plans(settings.plans),
        "limiter": None,
    }  # fmt: skip
    return Services(**stubs)


def _scope(path: str, query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8787),
        "headers": [(b"host", b"127.0.0.1:8787"), (b"authorization", b"Bearer pk_" + b"x" * 32),
                    (b"x-safe-mode", b"off")],
    }  # fmt: skip


async def _call(app: Any, path: str, query: bytes = b"") -> tuple[int, int]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(path, query), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], len(body)


def _bare(size: int) -> Any:
    body = b"x" * size

    async def app(scope: Any, receive: Any, send: Any) -> None:
        head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % size)]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": body})

    return app


async def _per_call(app: Any, path: str, query: bytes, calls: int) -> float:
    """CPU time per call (this process's, so other work on the machine counts less)."""
    started = time.process_time()
    for _ in range(calls):
        await _call(app, path, query)
    return (time.process_time() - started) / calls * 1e6


async def _run(url: str, file_id: str, args: argparse.Namespace) -> None:
    settings = dataclasses.replace(Settings(), log_level="WARNING")  # as read_path.py
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(settings, url, with_projections=False)
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        cache = ReadCache()
        await cache.reset({})
        app.state.services = _services(settings, pool, cache)
        for label, path, query in (
            ("one file", f"/api/v1/files/{file_id}", b""),
            ("list of 50", "/api/v1/files", b"limit=50"),
        ):
            status, size = await _call(app, path, query)
            if status != 200:
                raise SystemExit(f"{label}: {status}")
            bare = _bare(size)
            ours = base = float("inf")
            for _ in range(args.rounds):
                base = min(base, await _per_call(bare, path, query, args.calls))
                ours = min(ours, await _per_call(app, path, query, args.calls))
            print(
                f"{label}: {ours:.1f} us CPU/call ours, {base:.1f} us bare ASGI"
                f" ({size} bytes, best of {args.rounds} x {args.calls})"
            )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--calls", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    with scratch_database() as url:
        file_id = _fill(url, 60)
        asyncio.run(_run(url, file_id, args))


if __name__ == "__main__":
    main()
