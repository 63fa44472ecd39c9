"""`pichr backup FILE` and `pichr restore FILE` (scripts/backup_restore.py).

A backup keeps what the log cannot rebuild, without stopping the server: the database side
from one REPEATABLE READ snapshot, then the blobs that snapshot's log refers to (each was
stored before an event named it, so all are there, unless purged since with their file).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import logging
import os
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import msgspec
import psycopg
from psycopg import IsolationLevel

from pichr.application.blobs.factory import blob_store_for
from pichr.application.blobs.port import BlobNotFoundError, BlobStore
from pichr.application.settings import Settings
from pichr.application.store.database import resolve_database_url
from pichr.domain.log import EVENTS_TABLE
from pichr.scripts import backup_archive as archive
from pichr.scripts.backup_blobs import blob_reader, referenced_blobs
from pichr.scripts.backup_db import copy_out, followers, kept_tables, table_schema
from pichr.scripts.bootstrap import ensure_all
from pichr.scripts.output import emit

log = logging.getLogger("pichr.backup")


def backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    url = resolve_database_url(settings.database_url, settings.data_dir)
    ensure_all(url)
    target = Path(args.file)
    partial = target.with_name(target.name + ".partial")
    started = time.monotonic()
    try:
        with tarfile.open(partial, "w") as tar:
            manifest = _write(tar, url, blob_store_for(settings), settings)
        os.replace(partial, target)  # nothing half-written under FILE
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    events = next((t.rows for t in manifest.tables if t.name == EVENTS_TABLE), 0)
    seconds = time.monotonic() - started
    emit(
        {
            "file": str(target),
            "logHead": manifest.log_head,
            "events": events,
            "tables": [{"table": t.name, "rows": t.rows} for t in manifest.tables],
            "blobs": len(manifest.blobs),
            "missingBlobs": len(manifest.missing_blobs),
            "bytes": target.stat().st_size,
            "seconds": round(seconds, 3),
            "eventsPerSecond": round(events / max(seconds, 1e-9)),
        }
    )
    return 0


def _write(
    tar: tarfile.TarFile, url: str, blobs: BlobStore, settings: Settings
) -> archive.Manifest:
    with psycopg.connect(url) as conn:
        conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
        with conn.transaction():
            row = conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
            head = int(row.fetchone()[0])  # type: ignore[index]
            tables = [_table(tar, conn, table) for table in kept_tables(conn)]
            tracked, refs = followers(conn), referenced_blobs(conn)
            server = str(conn.info.parameter_status("server_version") or "")
    log.info("database copied", extra={"fields": {"logHead": head, "blobs": len(refs)}})
    kept, missing = _copy_blobs(tar, blobs, refs)
    manifest = archive.Manifest(
        format=archive.FORMAT,
        pichr_version=version("pichr"),
        created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        postgres_version=server,
        log_head=head,
        tables=tables,
        followers=tracked,
        blobs=kept,
        missing_blobs=missing,
        settings=archive.settings_record(settings),
    )
    archive.add_bytes(tar, archive.MANIFEST, msgspec.json.encode(manifest))
    return manifest


def _table(tar: tarfile.TarFile, conn: Any, table: str) -> Any:
    schema = table_schema(conn, table)
    with tempfile.TemporaryFile() as tmp:
        with gzip.GzipFile(fileobj=tmp, mode="wb", compresslevel=1) as packed:
            schema.rows = copy_out(conn, table, packed)
        size = tmp.tell()
        tmp.seek(0)
        archive.add_file(tar, archive.table_member(table), tmp, size)
    log.info("table copied", extra={"fields": {"table": table, "rows": schema.rows}})
    return schema


def _copy_blobs(
    tar: tarfile.TarFile, blobs: BlobStore, refs: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    # One listing for the sizes tar needs up front: cheaper than a stat (S3: a HEAD) per blob.
    sizes = {e.key: e.size for e in blobs.entries() if e.key in refs}
    kept: dict[str, str] = {}
    missing = sorted(set(refs) - set(sizes))
    for done, key in enumerate(sorted(sizes), 1):
        try:
            reader = blob_reader(blobs, key)
        except BlobNotFoundError:  # purged since it was listed
            missing.append(key)
            continue
        archive.add_file(tar, archive.blob_member(key), reader, sizes[key])  # type: ignore[arg-type]
        kept[key] = reader.sha256.hexdigest()
        if kept[key] != refs[key]:
            log.warning("blob differs from the log", extra={"fields": {"key": key}})
        if done % 100 == 0 or done == len(sizes):
            log.info("blobs copied", extra={"fields": {"done": done, "of": len(sizes)}})
    return kept, missing


def add_backup(sub: Any) -> None:
    from pichr.scripts.backup_restore import restore  # noqa: PLC0415

    b = sub.add_parser("backup", help="archive the log, blobs and kept tables (server may run)")
    b.add_argument("file", help="the archive to write (a tar; replaced only when complete)")
    b.set_defaults(run=backup)
    r = sub.add_parser("restore", help="restore an archive into an empty database + blob store")
    r.add_argument("file", help="an archive written by `pichr backup`")
    r.add_argument("--jobs", type=int, default=2, help="read models rebuilt at once (default 2)")
    r.set_defaults(run=restore)
