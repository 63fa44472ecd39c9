"""`pichr restore FILE`: an archive into an empty database + blob store, then every read model
rebuilt by replay. Each blob's sha256 is checked against the restored log before the database
side commits: a damaged archive restores nothing."""

from __future__ import annotations

import argparse
import gzip
import logging
import tarfile
import time
from typing import Any

import psycopg

from pichr.application.blobs.factory import blob_store_for
from pichr.application.blobs.port import BlobStore
from pichr.application.settings import Settings
from pichr.application.store.database import resolve_database_url
from pichr.domain.log import EVENTS_TABLE
from pichr.projections.log.replay import rebuild_all
from pichr.projections.views.registry import all_projections
from pichr.scripts import backup_archive as archive
from pichr.scripts.backup_blobs import referenced_blobs
from pichr.scripts.backup_db import TRACKING, copy_in, non_empty
from pichr.scripts.backup_put import put_blobs
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.output import emit
from pichr.workers.dispatcher import FINALIZED
from pichr.workers.dispatcher import TRACKING as DISPATCHER

log = logging.getLogger("pichr.backup")


class RestoreError(Exception):
    """The target is not empty, or the archive does not match its own log."""


def restore(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    url = resolve_database_url(settings.database_url, settings.data_dir)
    ensure_all(url)  # the event store's and the read models' tables, empty
    blobs = blob_store_for(settings)
    started = time.monotonic()
    try:
        with tarfile.open(args.file, "r") as tar:
            manifest = archive.read_manifest(tar)
            _warn_changed(manifest, settings)
            _load(tar, manifest, url, blobs)
    except (RestoreError, ValueError, OSError, tarfile.TarError) as exc:
        emit({"error": "Bad Request", "message": str(exc)})
        return 2
    reached = []
    for name, position in rebuild_all(url, [p.name for p in all_projections()], args.jobs):
        reached.append({"projection": name, "events": position})
        log.info("read model rebuilt", extra={"fields": reached[-1]})
    emit(
        {
            "file": args.file,
            "logHead": manifest.log_head,
            "tables": [{"table": t.name, "rows": t.rows} for t in manifest.tables],
            "blobs": len(manifest.blobs),
            "verified": len(manifest.blobs),
            "projections": reached,
            "seconds": round(time.monotonic() - started, 3),
        }
    )
    return 0


def _load(tar: tarfile.TarFile, manifest: archive.Manifest, url: str, blobs: BlobStore) -> None:
    with psycopg.connect(url) as conn:
        busy = non_empty(conn, [t.name for t in manifest.tables])
        if busy or next(iter(blobs.keys()), None) is not None:
            what = ", ".join(busy) or "the blob store"
            raise RestoreError(f"a restore needs an empty target; not empty: {what}")
        with conn.transaction():
            for schema in manifest.tables:
                member = tar.extractfile(archive.table_member(schema.name))
                with gzip.GzipFile(fileobj=member) as data:
                    copy_in(conn, schema, data)  # type: ignore[arg-type]
                log.info("table restored", extra={"fields": {"table": schema.name}})
            for schema in manifest.tables:
                for statement in schema.foreign:
                    conn.execute(statement)
            _followers(conn, manifest.followers)
            _rewind_jobs(conn)
            put_blobs(
                tar, sorted(manifest.blobs), referenced_blobs(conn), blobs
            )  # raises: no commit


def _followers(conn: Any, rows: list[tuple[str, int]]) -> None:
    for name, position in rows:
        conn.execute(
            f"INSERT INTO {TRACKING} (name, position) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
            (name, position),
        )


# A job the dispatcher had sent before the backup may not have run: its message was in the
# broker, which no backup holds. The dispatcher restarts at the oldest finalized upload with no
# analysis outcome yet (the jobs are idempotent: one sent twice records nothing new).
OUTCOMES = ["pichr.file.ImageAnalyzed.v1", "pichr.file.AnalysisFailed.v1"]
OLDEST_UNANALYZED = (
    f"SELECT min(f.notification_id) FROM {EVENTS_TABLE} f WHERE f.topic = %s AND NOT EXISTS"
    f" (SELECT 1 FROM {EVENTS_TABLE} o WHERE o.originator_id = f.originator_id"
    " AND o.originator_version > f.originator_version AND o.topic = ANY(%s))"
)


def _rewind_jobs(conn: Any) -> None:
    row = conn.execute(OLDEST_UNANALYZED, (FINALIZED, OUTCOMES)).fetchone()
    if row and row[0] is not None:
        conn.execute(
            f"UPDATE {TRACKING} SET position = LEAST(position, %s) WHERE name = %s",
            (int(row[0]) - 1, DISPATCHER),
        )


def _warn_changed(manifest: archive.Manifest, settings: Settings) -> None:
    now = archive.settings_record(settings)
    changed = sorted(k for k, v in manifest.settings.items() if k in now and now[k] != v)
    if changed:
        log.warning("settings differ from the backup's", extra={"fields": {"settings": changed}})
