"""Rebuild: events/s that `pichr replay` folds into file_listing, against the library's runner.

Ours: projections.replay.rebuild (batched: thousands of events per transaction). Stock:
eventsourcing.projection.ProjectionRunner with a Projection whose view writes the same
file_listing rows, one event per transaction with its tracking record, as the library does.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL

from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain import ids
from pichr.domain.albums import Album
from pichr.domain.files import File
from pichr.domain.log import EVENTS_TABLE
from pichr.domain.tallies import ViewTally
from pichr.projections.log.replay import rebuild
from pichr.projections.views.file_listing import COLUMNS, FileListingProjection
from scripts.bench.common import interleaved, scratch_database

# Event classes the @event decorator makes at runtime (invisible to type checkers).
EVENT = {name: vars(File)[name] for name in ("UploadRequested", "UploadStored", "UploadFinalized",
                                             "MetadataUpdated", "FileDeleted")}  # fmt: skip
EVENT["ViewsTallied"] = vars(ViewTally)["ViewsTallied"]
OWNERS = [ids.to_public(ids.ACCOUNT, ids.new_uuid()) for _ in range(20)]
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _file(rng: random.Random, n: int) -> File:
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    f = File(file_id=file_id, actor="key_bench", owner_id=rng.choice(OWNERS),
             upload_id=ids.to_public(ids.UPLOAD, ids.new_uuid()), filename=f"img-{n}.jpg",
             mime="image/jpeg", declared_bytes=rng.randint(10_000, 5_000_000), sha256=None,
             title=None, description=None, visibility="public", tags=[], expires_in=None,
             blob_key=f"uploads/2025-01-01/{file_id}/img-{n}.jpg", upload_token_digest=None,
             delete_token_digest=None)  # fmt: skip
    f.record_stored(actor="key_bench", key=f.blob_key, size=f.declared_bytes,
                    sha256=f"{n:064x}", mime="image/jpeg", etag=f"{n:032x}")  # fmt: skip
    f.finalize(actor="key_bench", width=1920, height=1080, now=NOW)
    f.update_metadata(actor="key_bench", changes={"title": f"photo {n}", "tags": ["a"]}, now=NOW)
    if rng.random() < 0.5:
        f.update_metadata(actor="key_bench", changes={"visibility": "unlisted"}, now=NOW)
    if rng.random() < 0.15:
        f.delete(actor="key_bench")
    return f


def _album(file_ids: list[str]) -> Album:
    album = Album(album_id=ids.to_public(ids.ALBUM, ids.new_uuid()), actor="key_bench",
                  owner_id=OWNERS[0], title="album", description=None, visibility="public",
                  tags=[])  # fmt: skip
    album.add_files(actor="key_bench", file_ids=file_ids)
    return album


def generate(url: str, target: int, per_save: int = 400, album_size: int = 0) -> int:
    """~target events: per file 4-6 events; one ViewTally over 30 recent files per 10 files;
    with `album_size`, each run of that many files also goes into a new album."""
    app = PichrApplication(env=eventsourcing_env(url, 2))
    rng, total, n, recent = random.Random(7), 0, 0, list[str]()
    start = time.perf_counter()
    while total < target:
        batch: list[Aggregate] = []
        for _ in range(per_save):
            f = _file(rng, n)
            n += 1
            recent = [*recent[-29:], f.file_id]
            batch.append(f)
            if n % 10 == 0:
                counts = {i: rng.randint(1, 50) for i in recent}
                batch.append(ViewTally(views=counts, downloads=dict(list(counts.items())[:5])))
            if album_size and n % album_size == 0:
                batch.append(_album(recent[-album_size:]))
        total += len(app.save(*batch))
    app.close()
    took = time.perf_counter() - start
    print(f"generated {total:,} events ({n:,} files) in {took:.1f} s ({total / took:,.0f}/s)")
    return total


class StockListingView(PostgresTrackingRecorder):
    """The file_listing table written the library's way: one transaction per event."""

    def __init__(self, datastore: Any, *, tracking_table_name: str, **kw: Any) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kw)
        self.table = tracking_table_name.removesuffix("_tracking")
        suffix = self.table.removeprefix("file_listing")
        ddl = FileListingProjection().create_sql(suffix)
        self.sql_create_statements += [SQL(s).format() for s in ddl]

    def write(self, sql: str, params: Any, tracking: Tracking, *, many: bool = False) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if many:
                curs.executemany(sql, params)
            elif sql:
                curs.execute(sql, params, prepare=True)
            self._insert_tracking(curs, tracking)


class StockFileListing(Projection[StockListingView]):
    name = "file_listing__stock"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.write("", None, tracking)

    @process_event.register(EVENT["UploadRequested"])
    def _(self, e: Any, tracking: Tracking) -> None:
        values = {
            "id": e.file_id, "owner_id": e.owner_id, "upload_id": e.upload_id,
            "status": "pending", "filename": e.filename, "mime": e.mime,
            "bytes": e.declared_bytes, "sha256": e.sha256, "title": e.title,
            "description": e.description, "visibility": e.visibility, "tags": e.tags,
            "hotlink_policy": "allow", "hotlink_whitelist": [], "blob_key": e.blob_key,
            "view_count": 0, "download_count": 0, "created_at": e.timestamp,
            "updated_at": e.timestamp, "position": tracking.notification_id,
            "age_restricted": False,
        }  # fmt: skip
        marks = ", ".join(["%s"] * len(COLUMNS))
        sql = (f"INSERT INTO {self.view.table} ({', '.join(COLUMNS)}) VALUES ({marks})"
               " ON CONFLICT (id) DO NOTHING")  # fmt: skip
        self.view.write(sql, tuple(values.get(c) for c in COLUMNS), tracking)

    @process_event.register(EVENT["UploadStored"])
    def _(self, e: Any, tracking: Tracking) -> None:
        self._update(e, tracking, status="uploaded", bytes=e.size, sha256=e.sha256, mime=e.mime,
                     blob_key=e.key, etag=e.etag)  # fmt: skip

    @process_event.register(EVENT["UploadFinalized"])
    def _(self, e: Any, tracking: Tracking) -> None:
        self._update(e, tracking, status="ready", width=e.width, height=e.height,
                     finalized_at=e.timestamp, expires_at=e.expires_at)  # fmt: skip

    @process_event.register(EVENT["MetadataUpdated"])
    def _(self, e: Any, tracking: Tracking) -> None:
        names = {"hotlinkPolicy": "hotlink_policy", "hotlinkWhitelist": "hotlink_whitelist",
                 "expiresAt": "expires_at"}  # fmt: skip
        self._update(e, tracking, **{names.get(k, k): v for k, v in e.changes.items()})

    @process_event.register(EVENT["FileDeleted"])
    def _(self, e: Any, tracking: Tracking) -> None:
        self._update(e, tracking, status="deleted", deleted_at=e.timestamp)

    @process_event.register(EVENT["ViewsTallied"])
    def _(self, e: Any, tracking: Tracking) -> None:
        at = tracking.notification_id
        params = [(n, 0, at, i) for i, n in e.views.items()]
        params += [(0, n, at, i) for i, n in e.downloads.items()]
        sql = (f"UPDATE {self.view.table} SET view_count = view_count + %s,"
               " download_count = download_count + %s, position = %s WHERE id = %s")  # fmt: skip
        self.view.write(sql, params, tracking, many=True)

    def _update(self, e: Any, tracking: Tracking, **values: Any) -> None:
        values.update(updated_at=e.timestamp, position=tracking.notification_id)
        sets = ", ".join(f"{k} = %s" for k in values)
        file_id = ids.to_public(ids.FILE, e.originator_id)
        sql = f"UPDATE {self.view.table} SET {sets} WHERE id = %s"
        self.view.write(sql, (*values.values(), file_id), tracking)


def ours(url: str) -> float:
    start = time.perf_counter()
    count = rebuild(url, FileListingProjection())
    return count / (time.perf_counter() - start)


def stock(url: str, prefix: int, round_no: int) -> float:
    with psycopg.connect(url) as conn:
        last = conn.execute(f"SELECT notification_id FROM {EVENTS_TABLE} ORDER BY notification_id"
                            " OFFSET %s LIMIT 1", (prefix - 1,)).fetchone()[0]  # type: ignore[index]  # fmt: skip
    cls = type(f"StockFileListing{round_no}", (StockFileListing,),
               {"name": f"file_listing__stock{round_no}"})  # fmt: skip
    start = time.perf_counter()
    env = eventsourcing_env(url, 2)
    with ProjectionRunner(application_class=PichrApplication, projection_class=cls,
                          view_class=StockListingView, env=env) as runner:  # fmt: skip
        runner.wait(last, timeout=prefix / 50)
        took = time.perf_counter() - start
    return prefix / took


def _same_rows(url: str, round_no: int) -> bool:
    cols = ", ".join(COLUMNS)
    sql = "SELECT md5(string_agg(({c})::text, '|' ORDER BY id)) FROM {t}"
    with psycopg.connect(url) as conn:
        sums = {conn.execute(sql.format(c=cols, t=t)).fetchone()[0]  # type: ignore[index]
                for t in ("file_listing", f"file_listing__stock{round_no}")}  # fmt: skip
    return len(sums) == 1


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=200_000, help="events in the log (200000)")
    p.add_argument("--stock-events", type=int, default=20_000,
                   help="prefix the stock runner folds (20000)")  # fmt: skip
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    with scratch_database() as url:
        total = generate(url, args.events)
        prefix = min(args.stock_events, total)
        print(f"ours: rebuild of all {total:,} events; stock: the first {prefix:,} events")
        rounds = iter(range(args.rounds))
        medians = interleaved(args.rounds, {
            "stock events/s": lambda: stock(url, prefix, next(rounds)),
            "ours events/s": lambda: ours(url),
        })  # fmt: skip
        if prefix == total:  # both folded the whole log: their tables must be equal
            print(f"same rows as the stock projection: {_same_rows(url, args.rounds - 1)}")
    a, b = medians["ours events/s"], medians["stock events/s"]
    print(f"ours {a:,.0f} events/s (target >= 20,000: {'meets' if a >= 20_000 else 'MISSES'});"
          f" stock {b:,.0f} events/s; ratio {a / b:.1f}x"
          f" (target >= 8x: {'meets' if a / b >= 8 else 'MISSES'})")  # fmt: skip


if __name__ == "__main__":
    main()
