"""Clean-up jobs: abandon stale uploads, purge ended files' blobs, sweep orphan blobs.

Plain functions that take `now`, so tests (and the worker's scheduled actors) call them
directly. Each is safe to run twice and in several processes at once: commands go through
the aggregates' versions, and deleting a missing blob is not an error.
Candidates come from the file-listing read model, asked through CleanupCandidates (answered by
projections/queries/for_commands.py, as application/files/expiry.py's are); what a job decides,
it decides on the aggregate it loads, never on the read model alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from eventsourcing.domain import Aggregate

from pichr.application.blobs.multipart import MultipartNotFoundError
from pichr.application.blobs.port import BlobStore, BlobStoreUnavailableError
from pichr.application.cleanup.refs import find_references
from pichr.application.files.variants import owner_key, variant_prefix
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.quota import Quotas
from pichr.domain import ids
from pichr.domain.errors import DomainError, NotFoundError
from pichr.domain.files import File
from pichr.domain.uploads import MultipartUpload

log = logging.getLogger("pichr.cleanup")
SYSTEM = "system"


class CleanupCandidates(Protocol):
    def stale_uploads(self, created_before: datetime, limit: int) -> list[str]:
        """Uploads (pending or stored, never finalized) created before `created_before`."""
        ...

    def purge_candidates(self, ended_before: datetime, limit: int) -> list[str]:
        """Files whose blobs may go: abandoned, rejected or blocked ones, and those deleted or
        expired before `ended_before`; never quarantined or banned ones (their bytes are
        evidence, and File.purgeable refuses them anyway). Not purged yet, oldest change first.
        """
        ...


@dataclass(frozen=True)
class Cleanup:
    app: PichrApplication
    blobs: BlobStore
    quotas: Quotas
    database_url: str  # the event log, read for the orphan sweep (application/cleanup/refs.py)
    candidates: CleanupCandidates
    abandon_after: timedelta = timedelta(hours=24)  # PICHR_ABANDON_AFTER_HOURS
    purge_grace: timedelta = timedelta(hours=24)  # PICHR_PURGE_GRACE_HOURS
    orphan_min_age: timedelta = timedelta(hours=1)  # never race an upload still in flight
    batch: int = 500


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)  # orphan blob keys
    aborted: list[str] = field(default_factory=list)  # orphan multipart uploads (store ids)


def multipart_of(app: PichrApplication, file: File) -> MultipartUpload | None:
    try:
        return app.load(MultipartUpload, ids.UPLOAD, file.upload_id)
    except NotFoundError:
        return None  # a presigned (single PUT) upload


def abandon_upload(
    app: PichrApplication,
    blobs: BlobStore,
    quotas: Quotas,
    file_id: str,
    *,
    actor: str,
    reason: str,
) -> bool:
    """End an upload that never reached finalize: UploadAbandoned (and MultipartAborted, and the
    quota released) in one save; then its multipart parts and blobs go. False: nothing to do."""

    def apply(file: File) -> list[Aggregate]:
        if not file.abandon(actor=actor, reason=reason):
            return []
        upload = multipart_of(app, file)
        others: list[Aggregate] = []
        if upload is not None and upload.status == "open":
            upload.abort(actor=actor, reason=reason)
            others.append(upload)
        ledger = quotas.release(actor, file, "abandoned")
        return [*others, *([ledger] if ledger else [])]

    if not app.change(File, ids.FILE, file_id, apply):
        return False
    file = app.load(File, ids.FILE, file_id)
    upload = multipart_of(app, file)
    if upload is not None:
        blobs.abort_multipart(upload.key, upload.store_upload_id)
    purge_file(app, blobs, file_id, actor=actor)
    return True


def purge_file(app: PichrApplication, blobs: BlobStore, file_id: str, *, actor: str) -> bool:
    """Delete an ended file's blobs, then record BlobsPurged; False when not due or done."""
    file = app.load(File, ids.FILE, file_id)
    if file.purged or not file.purgeable:
        return False
    upload = multipart_of(app, file)
    if upload is not None and upload.status == "open":  # e.g. deleted while still uploading
        blobs.abort_multipart(upload.key, upload.store_upload_id)
        end = lambda u: u.abort(actor=actor, reason="the file ended")  # noqa: E731
        app.change(MultipartUpload, ids.UPLOAD, upload.upload_id, end)
    keys = file.blob_keys()
    for key in [*keys, *blobs.keys(variant_prefix(file_id))]:  # variants: no event names them
        blobs.delete(key)
    return bool(
        app.change(File, ids.FILE, file_id, lambda f: f.purge_blobs(actor=actor, keys=keys))
    )


def abandon_stale(c: Cleanup, now: datetime) -> list[str]:
    """Uploads created more than `abandon_after` before `now` and never finalized."""
    hours = c.abandon_after.total_seconds() / 3600
    reason = f"not finalized within {hours:g} hours"

    def abandon(file_id: str) -> bool:
        return abandon_upload(c.app, c.blobs, c.quotas, file_id, actor=SYSTEM, reason=reason)

    stale = c.candidates.stale_uploads(now - c.abandon_after, c.batch)
    return [file_id for file_id in stale if _attempt(file_id, abandon)]


def purge_due(c: Cleanup, now: datetime) -> list[str]:
    """Blobs of files deleted or expired more than `purge_grace` ago, and of abandoned,
    rejected or blocked uploads (no grace: they were never served)."""

    def purge(file_id: str) -> bool:
        return purge_file(c.app, c.blobs, file_id, actor=SYSTEM)

    due = c.candidates.purge_candidates(now - c.purge_grace, c.batch)
    return [file_id for file_id in due if _attempt(file_id, purge)]


def sweep_orphans(c: Cleanup, now: datetime) -> SweepReport:
    """Blobs no live event mentions, and multipart uploads no open upload owns, once older than
    `orphan_min_age` (younger ones may belong to a write whose event is not committed yet)."""
    cutoff = now - c.orphan_min_age
    blobs = {e.key for e in c.blobs.entries() if e.modified <= cutoff}
    uploads = {u.upload_id: u for u in c.blobs.multipart_uploads() if u.initiated <= cutoff}
    report = SweepReport()
    if not blobs and not uploads:
        return report
    owners = {key: owner_key(key) for key in blobs}  # a variant lives while its file's thumbnail
    refs = find_references(c.database_url, blobs | {o for o in owners.values() if o})
    kept = refs.keys | {key for key, owner in owners.items() if owner in refs.keys}
    for key in sorted(blobs - kept):
        log.warning("deleting orphan blob %s", key)
        c.blobs.delete(key)
        report.deleted.append(key)
    for upload_id, upload in uploads.items():
        if upload_id not in refs.open_uploads:
            log.warning("aborting orphan multipart upload %s of %s", upload_id, upload.key)
            c.blobs.abort_multipart(upload.key, upload_id)
            report.aborted.append(upload_id)
    return report


def _attempt(file_id: str, run: Callable[[str], bool]) -> bool:
    try:
        return bool(run(file_id))
    except (DomainError, MultipartNotFoundError) as exc:  # changed meanwhile: next run decides
        log.info("clean-up skipped %s: %s", file_id, exc)
    except BlobStoreUnavailableError as exc:
        log.warning("clean-up of %s failed, will retry: %s", file_id, exc)
    return False
