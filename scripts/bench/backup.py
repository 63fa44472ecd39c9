"""Backup and restore of a log of ~100,000 events and 1,000 blobs: times and events/s.

Ours: `pichr backup FILE` (one snapshot: kept tables + the blobs the log names) and `pichr
restore FILE` (load, check every blob's sha256 against the log, rebuild every read model by
replay). Baseline, in the same run: `pg_dump -Fc` of the whole database (read models too) plus
a tar of the blob directory, and `pg_restore` + untar: a restore that checks nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain import ids
from pichr.domain.files import File
from pichr.scripts.bootstrap import ensure_all
from scripts.bench.common import PICHR, scratch_database

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _file(n: int, data: bytes, updates: int) -> File:
    file_id = ids.to_public(ids.FILE, ids.new_uuid())
    f = File(file_id=file_id, actor="key_bench", owner_id="usr_bench",
             upload_id=ids.to_public(ids.UPLOAD, ids.new_uuid()), filename=f"img-{n}.jpg",
             mime="image/jpeg", declared_bytes=len(data), sha256=None, title=None,
             description=None, visibility="public", tags=[], expires_in=None,
             blob_key=f"uploads/2025-01-01/{file_id}/img-{n}.jpg", upload_token_digest=None,
             delete_token_digest=None)  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()
    f.record_stored(actor="key_bench", key=f.blob_key, size=len(data), sha256=digest,
                    mime="image/jpeg", etag=f"{n:032x}")  # fmt: skip
    f.finalize(actor="key_bench", width=64, height=48, now=NOW)
    for u in range(updates):
        f.update_metadata(actor="key_bench", changes={"title": f"photo {n}.{u}"}, now=NOW)
    return f


def generate(url: str, data_dir: Path, events: int, blobs: int, blob_bytes: int) -> int:
    """`blobs` files, each stored with its bytes, and metadata edits up to `events` events."""
    store = FilesystemBlobStore(data_dir / "blobs")
    app = PichrApplication(env=eventsourcing_env(url, 2))
    rng, total = random.Random(7), 0
    updates = max(0, events // blobs - 3)
    for start in range(0, blobs, 50):
        batch = []
        for n in range(start, min(start + 50, blobs)):
            data = rng.randbytes(blob_bytes)
            f = _file(n, data, updates)
            store.put(f.stored_key, io.BytesIO(data), len(data))
            batch.append(f)
        total += len(app.save(*batch))
    app.close()
    return total


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return os.environ | {"PICHR_DATABASE_URL": url, "PICHR_DATA_DIR": str(data_dir),
                         "PICHR_LOG_LEVEL": "WARNING"}  # fmt: skip


def baseline(url: str, data_dir: Path, work: Path) -> tuple[float, float]:
    dump, blobs = work / "base.dump", work / "base-blobs.tar"
    started = time.perf_counter()
    subprocess.run(["pg_dump", "-Fc", "-Z1", "-f", str(dump), url], check=True)
    with tarfile.open(blobs, "w") as tar:
        tar.add(data_dir / "blobs", arcname="blobs")
    took_backup = time.perf_counter() - started
    with scratch_database() as target:
        started = time.perf_counter()
        subprocess.run(["pg_restore", "-d", target, str(dump)], check=True)
        with tarfile.open(blobs) as tar:
            tar.extractall(work / "base-restored", filter="data")
        return took_backup, time.perf_counter() - started


def ours(url: str, data_dir: Path, work: Path) -> tuple[float, float, dict[str, Any]]:
    archive = work / "ours.tar"
    took_backup, out = _timed([*PICHR, "backup", str(archive)], _env(url, data_dir))
    with scratch_database() as target:
        took_restore, _ = _timed([*PICHR, "restore", str(archive)], _env(target, work / "restored"))
    return took_backup, took_restore, {"line": out.strip(), "bytes": archive.stat().st_size}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--blobs", type=int, default=1_000)
    p.add_argument("--blob-bytes", type=int, default=64 * 1024)
    args = p.parse_args(argv)
    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="pichr-bench-") as tmp:
        work = Path(tmp)
        ensure_all(url)
        total = generate(url, work / "data", args.events, args.blobs, args.blob_bytes)
        ensure_all(url)  # read models caught up, as on a live instance
        subprocess.run([*PICHR, "replay"], env=_env(url, work / "data"), check=True,
                       capture_output=True)  # fmt: skip
        print(f"log: {total:,} events, {args.blobs:,} blobs of {args.blob_bytes:,} bytes;"
              f" load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        base_b, base_r = baseline(url, work / "data", work)
        our_b, our_r, info = ours(url, work / "data", work)
    print(f"ours: backup {our_b:.1f} s ({total / our_b:,.0f} events/s, {info['bytes']:,} bytes),"
          f" restore with replay + sha256 checks {our_r:.1f} s"
          f" ({total / our_r:,.0f} events/s)")  # fmt: skip
    print(f"baseline pg_dump + tar: backup {base_b:.1f} s, pg_restore + untar {base_r:.1f} s")
    print(f"ratio ours/baseline: backup {our_b / base_b:.2f}x, restore {our_r / base_r:.2f}x")
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
