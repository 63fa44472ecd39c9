"""`complete`'s steps: join the parts in the store, read the object back, record the result."""

from __future__ import annotations

import contextlib

from pichr.application.blobs.multipart import MultipartNotFoundError, PartsMismatchError
from pichr.application.blobs.port import BlobNotFoundError, BlobStore
from pichr.application.multipart.parts import ChunkReader, check_stored_parts
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.guarded import GuardedReader
from pichr.application.uploads.quota import Quotas
from pichr.domain import ids
from pichr.domain.errors import ConflictError, DomainError, InvalidInputError
from pichr.domain.files import File
from pichr.domain.principal import Principal
from pichr.domain.uploads import MultipartUpload

READ_SIZE = 1024 * 1024


def join_parts(blobs: BlobStore, upload: MultipartUpload, named: list[tuple[int, str]]) -> None:
    """Check the named parts against the store's own list, then have the store join them."""
    try:
        stored = blobs.list_parts(upload.key, upload.store_upload_id)
    except MultipartNotFoundError:
        # Joined by an earlier complete whose record did not commit: the object is there.
        with contextlib.suppress(BlobNotFoundError):
            if blobs.stat(upload.key).size == upload.total_bytes:
                return
        raise ConflictError("The store no longer holds this upload; start again.") from None
    check_stored_parts(upload, named, stored)
    try:
        blobs.complete_multipart(upload.key, upload.store_upload_id, named)
    except PartsMismatchError as exc:
        raise InvalidInputError(str(exc), field="parts") from None


def record_joined(
    app: PichrApplication, blobs: BlobStore, who: Principal, upload: MultipartUpload
) -> tuple[MultipartUpload, int]:
    """Read the joined object once (size, sha256, type); record MultipartCompleted and the
    File's UploadStored in one save. Bytes that break the declaration end the upload."""
    file = app.load(File, ids.FILE, upload.file_id)
    file.ensure_live()
    info = blobs.stat(upload.key)
    reader = GuardedReader(
        ChunkReader(blobs.read(upload.key)),
        limit=upload.total_bytes,
        declared_mime=file.declared_mime,
    )
    try:
        while reader.read(READ_SIZE):
            pass
        if reader.size != upload.total_bytes:
            raise InvalidInputError("The joined object is not totalBytes long.", field="parts")
        if file.declared_sha256 and reader.sha256 != file.declared_sha256:
            raise InvalidInputError(
                "The upload does not match the declared sha256.", field="sha256"
            )
    except DomainError as exc:
        _reject(app, blobs, who, (upload, file), exc.message)
        raise
    upload.complete(actor=who.actor, etag=info.etag, size=reader.size, sha256=reader.sha256)
    file.record_stored(
        actor=who.actor,
        key=upload.key,
        size=reader.size,
        sha256=reader.sha256,
        mime=reader.mime or file.declared_mime,
        etag=info.etag,
    )
    try:
        return upload, app.commit(upload, file)
    except ConflictError:  # a concurrent complete recorded it first
        again = app.load(MultipartUpload, ids.UPLOAD, upload.upload_id)
        if again.status != "completed":
            raise
        return again, 0


def _reject(
    app: PichrApplication,
    blobs: BlobStore,
    who: Principal,
    ended: tuple[MultipartUpload, File],
    reason: str,
) -> None:
    """The joined bytes are not what was declared: the upload ends, nothing is kept."""
    upload, file = ended
    upload.abort(actor=who.actor, reason=reason)
    file.reject(actor=who.actor, reason=reason)
    ledger = Quotas(app, {}).release(who.actor, file, "rejected")
    with contextlib.suppress(ConflictError):  # changed meanwhile: the clean-up ends it
        app.commit(upload, file, *([ledger] if ledger else []))
    blobs.delete(upload.key)
