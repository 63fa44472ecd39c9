"""The MultipartUpload aggregate: one multipart upload of a file's bytes, from init to its end.

A separate aggregate from File: a large upload records one PartStored per part (up to 10,000),
which would otherwise be replayed every time the file is loaded for the rest of its life, and
parts arriving in parallel would contend with metadata edits on one version number. Its id is
the upload's own public id (`upl_...`), so the multipart routes load it without a lookup.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from pichr.domain import ids
from pichr.domain.errors import ConflictError, InvalidInputError

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # every part but the last (S3's rule)
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000


def count_parts(total_bytes: int, part_size: int) -> int:
    """How many parts `total_bytes` takes at `part_size`; InvalidInputError when not allowed."""
    if total_bytes < 1:
        raise InvalidInputError("totalBytes must be at least 1.", field="totalBytes")
    count = -(-total_bytes // part_size) if part_size > 0 else 0
    if part_size < MIN_PART_SIZE and count != 1:
        raise InvalidInputError(
            "Every part but the last must be at least 5 MiB.",
            field="partSize",
            minPartSize=MIN_PART_SIZE,
        )
    if part_size > MAX_PART_SIZE:
        raise InvalidInputError("A part may be at most 5 GiB.", field="partSize")
    if count > MAX_PARTS:
        raise InvalidInputError(
            "An upload has at most 10,000 parts; choose a larger partSize.",
            field="partSize",
            parts=count,
            maxParts=MAX_PARTS,
        )
    return count


class MultipartUpload(Aggregate):
    TOPIC = "pichr.upload.MultipartUpload.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.upload.Created.v1"

    @event("MultipartInitiated", topic="pichr.upload.MultipartInitiated.v1")
    def __init__(
        self,
        *,
        upload_id: str,
        file_id: str,
        actor: str,
        owner_id: str | None,
        key: str,
        store_upload_id: str,
        total_bytes: int,
        part_size: int,
    ) -> None:
        self.upload_id = upload_id
        self.file_id = file_id
        self.owner_id = owner_id
        self.key = key
        self.store_upload_id = store_upload_id
        self.total_bytes = total_bytes
        self.part_size = part_size
        # Checked by count_parts before the event; never re-checked on replay.
        self.part_count = -(-total_bytes // part_size)
        self.status = "open"
        self.parts: dict[int, dict[str, object]] = {}  # number -> size, etag, sha256
        self.result: dict[str, object] = {}  # once completed: etag, size, sha256
        self.abort_reason: str | None = None

    @staticmethod
    def create_id(upload_id: str) -> UUID:
        return ids.to_uuid(ids.UPLOAD, upload_id)

    def part_size_of(self, number: int) -> int:
        """The exact size part `number` must have: partSize, the last one the remainder."""
        if not 1 <= number <= self.part_count:
            raise InvalidInputError(
                f"Part numbers run from 1 to {self.part_count} for this upload.",
                field="partNumber",
                partNumber=number,
                partCount=self.part_count,
            )
        if number < self.part_count:
            return self.part_size
        return self.total_bytes - self.part_size * (self.part_count - 1)

    def ensure_open(self) -> None:
        if self.status != "open":
            raise ConflictError(f"The multipart upload is {self.status}.", status=self.status)

    def completable(self) -> bool:
        """True when complete would record; False when it was completed already (complete is
        idempotent); raises when it cannot be. Asked before the store joins the parts."""
        if self.status == "completed":
            return False
        self.ensure_open()
        return True

    def abortable(self) -> bool:
        """True when abort would record; False when it was aborted already (abort is
        idempotent); raises for a completed upload. Asked before the store drops the parts."""
        if self.status == "aborted":
            return False
        if self.status == "completed":
            raise ConflictError("The multipart upload is already complete.", status="completed")
        self.ensure_open()
        return True

    # -- parts and the end ------------------------------------------------------------------

    def record_part(self, *, actor: str, number: int, size: int, etag: str, sha256: str) -> None:
        self.ensure_open()
        if size != self.part_size_of(number):
            raise InvalidInputError("The part has the wrong size.", field="partNumber")
        self._part_stored(actor=actor, number=number, size=size, etag=etag, sha256=sha256)

    @event("PartStored", topic="pichr.upload.PartStored.v1")
    def _part_stored(self, *, actor: str, number: int, size: int, etag: str, sha256: str) -> None:
        self.parts[number] = {"size": size, "etag": etag, "sha256": sha256}

    def complete(self, *, actor: str, etag: str, size: int, sha256: str) -> None:
        self.ensure_open()
        self._completed(actor=actor, etag=etag, size=size, sha256=sha256)

    @event("MultipartCompleted", topic="pichr.upload.MultipartCompleted.v1")
    def _completed(self, *, actor: str, etag: str, size: int, sha256: str) -> None:
        self.status = "completed"
        self.result = {"etag": etag, "size": size, "sha256": sha256}

    def abort(self, *, actor: str, reason: str) -> bool:
        """End the upload without an object; False when it was already aborted (idempotent)."""
        if not self.abortable():
            return False
        self._aborted(actor=actor, reason=reason)
        return True

    @event("MultipartAborted", topic="pichr.upload.MultipartAborted.v1")
    def _aborted(self, *, actor: str, reason: str) -> None:
        self.status = "aborted"
        self.abort_reason = reason
