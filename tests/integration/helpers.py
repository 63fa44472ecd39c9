"""Builders for the tests on PostgreSQL: apps on a database, its read models and log, bulk
histories (the service-free builders they share with the unit tier are in tests/support)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain import ids
from pichr.domain.files import File
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.tallies import ViewTally
from pichr.projections.log.replay import checksums
from pichr.projections.log.runner import catch_up
from pichr.projections.views.file_listing import COLUMNS
from pichr.projections.views.registry import all_projections


def run_together(count: int, start: Callable[[], object]) -> list[BaseException]:
    """Runs `start` on `count` threads released at the same moment; what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait(timeout=30)
        try:
            start()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def make_app(database_url: str, pool_size: int = 2) -> PichrApplication:
    """The command side on PostgreSQL (tests/support/builders.py has it on the in-memory store)."""
    return PichrApplication(env=eventsourcing_env(database_url, pool_size))


def record_analysis(app: PichrApplication, file_id: str, nsfw_score: float = 0.1) -> int:
    """The worker's result for a file, without running the pipeline (derived keys are fake)."""
    result = {
        "width": 40, "height": 30, "frames": 1, "phash": "0" * 16, "nsfw_score": nsfw_score,
        "model": "test", "rendition_key": f"renditions/{file_id}", "rendition_size": 7,
        "rendition_mime": "image/webp", "rendition_sha256": "0" * 64,
        "thumbnail_key": f"thumbnails/{file_id}", "thumbnail_size": 7,
        "thumbnail_sha256": "0" * 64,
    }  # fmt: skip
    return app.change(
        File, ids.FILE, file_id, lambda f: f.record_analysis(actor="worker", result=result)
    )


def catch_up_all(database_url: str, batch: int = 1000) -> None:
    with psycopg.connect(database_url) as conn:
        for projection in all_projections():
            catch_up(conn, projection, batch)


def file_row(database_url: str, file_id: str) -> dict[str, Any] | None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM file_listing WHERE id = %s", (file_id,)
        ).fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def max_notification_id(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
        found = row.fetchone()
    return int(found[0]) if found else 0


def event_position(database_url: str, topic: str, file_id: str) -> int | None:
    """Where in the log the file's first event of `topic` is (None: not recorded yet)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT min(notification_id) FROM {EVENTS_TABLE}"
            " WHERE originator_id = %s AND topic = %s",
            (ids.to_uuid(ids.FILE, file_id), topic),
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def positions(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT name, position FROM projection_tracking").fetchall()
    return {name: int(position) for name, position in rows}


def live_checksums(database_url: str) -> dict[str, list[str]]:
    """Every projection's checksums, read outside any long transaction (rebuilds drop tables)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        return {p.name: checksums(conn, p) for p in all_projections()}


def all_rows(database_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM file_listing ORDER BY id").fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def new_file(now: datetime, updates: int = 3) -> File:
    """A File as presign makes it, then `updates` title changes (the last title is f"{id}-last")."""
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    file = File(
        file_id=file_id,
        actor="key_a",
        owner_id="usr_a",
        upload_id="upl_a",
        filename="a.jpg",
        mime="image/jpeg",
        declared_bytes=10,
        sha256=None,
        title=None,
        description=None,
        visibility="public",
        tags=[],
        expires_in=None,
        blob_key=f"uploads/{file_id}/a.jpg",
        upload_token_digest=None,
        delete_token_digest=None,
    )
    for n in range(updates):
        last = n == updates - 1
        title = f"{file_id}-last" if last else f"{file_id}-{n}"
        file.update_metadata(actor="key_a", changes={"title": title}, now=now)
    return file


@dataclass
class BulkHistory:
    """What bulk writes recorded: each file's last title and its tallied views."""

    titles: dict[str, str] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)

    def write(self, app: PichrApplication, files: int, updates: int = 3) -> None:
        """Many aggregates per save (the fast write path), each save with a view tally.

        Tallies are not idempotent (counts add up), so a projection that folded an event twice
        shows it in view_count.
        """
        batch = [new_file(app.clock(), updates) for _ in range(files)]
        seen = list(self.titles)[-files:]
        tally = ViewTally(views=dict.fromkeys(seen, 1), downloads={})
        app.commit(*batch, tally)
        for file in batch:
            self.titles[file.file_id] = str(file.title)
            self.views[file.file_id] = 0
        for file_id in seen:
            self.views[file_id] += 1

    def check(self, database_url: str) -> None:
        rows = all_rows(database_url)
        assert {row["id"]: row["title"] for row in rows} == self.titles
        assert {row["id"]: row["view_count"] for row in rows} == self.views
