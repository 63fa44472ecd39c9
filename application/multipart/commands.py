"""Multipart upload commands: init, a part through this server, status, complete, abort.

The File is created exactly as presign creates it (so the quota is reserved there, and
finalize works unchanged); a MultipartUpload aggregate records the parts. `complete` reads the
joined object back once (sha256, size, type), then records MultipartCompleted and the File's
UploadStored in one save: from there on the file is an ordinary uploaded file.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from pichr.application.blobs.multipart import MultipartNotFoundError, PartInfo
from pichr.application.blobs.port import BlobStore, BodyLengthError, Readable
from pichr.application.cleanup.jobs import abandon_upload
from pichr.application.multipart.join import join_parts, record_joined
from pichr.application.multipart.parts import CheckedPart, PartChecksums, check_named_parts
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.errors import ConflictError, InvalidInputError, NotFoundError
from pichr.domain.principal import Principal
from pichr.domain.uploads import MultipartUpload, count_parts

PART_RETRIES = 40  # parts arriving in parallel serialise on the upload's version


@dataclass(frozen=True, slots=True)
class MultipartRequest:
    upload: UploadRequest  # `bytes` is the declared totalBytes
    part_size: int


@dataclass(frozen=True, slots=True)
class StoredPart:
    number: int
    size: int
    etag: str
    sha256: str | None = None  # known for parts that passed through this server


@dataclass(frozen=True, slots=True)
class MultipartView:
    upload: MultipartUpload
    parts: list[StoredPart]  # arrived so far (empty once completed or aborted)
    part_urls: list[tuple[int, str | None]]  # parts still to send; None: this server's route
    position: int = 0


class Multipart:
    def __init__(
        self, app: PichrApplication, blobs: BlobStore, uploads: Uploads, url_lifetime: timedelta
    ) -> None:
        self.app = app
        self.blobs = blobs
        self.uploads = uploads
        self.url_lifetime = min(url_lifetime, timedelta(days=7))  # S3's longest presign

    def init(self, who: Principal, req: MultipartRequest) -> MultipartView:
        count_parts(req.upload.bytes, req.part_size)
        # presign creates the File and reserves the declared bytes on the owner's quota.
        made = self.uploads.presign(who, req.upload)
        store_id = self.blobs.initiate_multipart(made.blob_key)
        upload = MultipartUpload(
            upload_id=made.upload_id,
            file_id=made.file_id,
            actor=who.actor,
            owner_id=who.account_id,
            key=made.blob_key,
            store_upload_id=store_id,
            total_bytes=req.upload.bytes,
            part_size=req.part_size,
        )
        position = max(self.app.commit(upload), made.position)
        return MultipartView(
            upload, [], self._urls(upload, range(1, upload.part_count + 1)), position
        )

    def store_part(
        self, who: Principal, upload_id: str, number: int, body: Readable, sums: PartChecksums
    ) -> StoredPart:
        upload = self._own(who, upload_id)
        upload.ensure_open()
        size = upload.part_size_of(number)
        checked = CheckedPart(body, sums)
        try:
            info = self.blobs.upload_part(upload.key, upload.store_upload_id, number, checked, size)
        except BodyLengthError:
            raise InvalidInputError(
                f"Part {number} must be exactly {size} bytes.", field="body", expected=size
            ) from None
        except MultipartNotFoundError:
            raise ConflictError("The multipart upload is no longer open.") from None
        part = StoredPart(number, info.size, info.etag, checked.sha256)
        self._record_part(who, upload_id, part)
        return part

    def status(self, who: Principal, upload_id: str) -> MultipartView:
        upload = self._own(who, upload_id)
        if upload.status != "open":
            return MultipartView(upload, [], [])
        try:
            stored = self.blobs.list_parts(upload.key, upload.store_upload_id)
        except MultipartNotFoundError:
            stored = []
        parts = [StoredPart(p.number, p.size, p.etag, _sha256(upload, p)) for p in stored]
        done = {p.number for p in stored if p.size == _expected(upload, p.number)}
        todo = [n for n in range(1, upload.part_count + 1) if n not in done]
        return MultipartView(upload, parts, self._urls(upload, todo))

    def complete(
        self,
        who: Principal,
        upload_id: str,
        file_id: str,
        key: str | None,
        named: list[tuple[int, str]],
    ) -> MultipartView:
        upload = self._own(who, upload_id)
        if upload.file_id != file_id:
            raise NotFoundError("No such multipart upload.", id=upload_id)
        if key is not None and key != upload.key:
            raise InvalidInputError("r2Key does not belong to this upload.", field="r2Key")
        if not upload.completable():
            return MultipartView(upload, [], [])  # complete twice: the same answer
        check_named_parts(upload, named)
        join_parts(self.blobs, upload, named)
        upload, position = record_joined(self.app, self.blobs, who, upload)
        return MultipartView(upload, [], [], position)

    def abort(self, who: Principal, upload_id: str) -> MultipartUpload:
        upload = self._own(who, upload_id)
        if not upload.abortable():
            return upload  # abort twice: the same answer
        reason = "multipart upload aborted"
        quotas = self.uploads.quotas
        abandon_upload(self.app, self.blobs, quotas, upload.file_id, actor=who.actor, reason=reason)
        upload = self._own(who, upload_id)
        if upload.abortable():  # the file ended otherwise (deleted): close the upload alone
            self.blobs.abort_multipart(upload.key, upload.store_upload_id)
            end = lambda u: u.abort(actor=who.actor, reason=reason)  # noqa: E731
            self.app.change(MultipartUpload, ids.UPLOAD, upload_id, end)
            upload = self._own(who, upload_id)
        return upload

    # -- steps ------------------------------------------------------------------------------

    def _own(self, who: Principal, upload_id: str) -> MultipartUpload:
        """The upload, when the caller started it; 404 to everyone else."""
        upload = self.app.load(MultipartUpload, ids.UPLOAD, upload_id)
        if upload.owner_id is None or upload.owner_id != who.account_id:
            raise NotFoundError("No such multipart upload.", id=upload_id)
        return upload

    def _urls(
        self, upload: MultipartUpload, numbers: Iterable[int]
    ) -> list[tuple[int, str | None]]:
        key, store_id, lifetime = upload.key, upload.store_upload_id, self.url_lifetime
        return [(n, self.blobs.presigned_part_url(key, store_id, n, lifetime)) for n in numbers]

    def _record_part(self, who: Principal, upload_id: str, part: StoredPart) -> None:
        for attempt in range(PART_RETRIES):
            upload = self.app.load(MultipartUpload, ids.UPLOAD, upload_id)
            upload.record_part(
                actor=who.actor,
                number=part.number,
                size=part.size,
                etag=part.etag,
                sha256=part.sha256 or "",
            )
            try:
                self.app.commit(upload)
            except ConflictError:  # another part of this upload was recorded first
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 (jitter)
            else:
                return
        raise ConflictError("Too many parts at once; send this part again.")


def _expected(upload: MultipartUpload, number: int) -> int | None:
    try:
        return upload.part_size_of(number)
    except InvalidInputError:
        return None


def _sha256(upload: MultipartUpload, part: PartInfo) -> str | None:
    """The sha256 PartStored recorded, when the stored part is still that one."""
    recorded = upload.parts.get(part.number, {})
    if recorded.get("etag") != part.etag or not recorded.get("sha256"):
        return None
    return str(recorded["sha256"])
