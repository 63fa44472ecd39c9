"""Upload commands: presign, the streamed PUT, and finalize."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass

from eventsourcing.domain import Aggregate

from pichr.application.blobs.port import BlobNotFoundError, BlobStore, BodyLengthError
from pichr.application.imaging.sniff import UnsupportedMediaError, accepted_mime, normalize_mime
from pichr.application.metrics import upload_finalized
from pichr.application.moderation.blocklist import Blocklist, Screener
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.guarded import GuardedReader, Readable, TooLargeError
from pichr.application.uploads.plans import DEFAULT_PLANS, Plan
from pichr.application.uploads.quota import Quotas
from pichr.application.uploads.verify import verify_stored
from pichr.domain import ids
from pichr.domain.access import check_uploader
from pichr.domain.errors import ConflictError, InvalidInputError, LegalHoldError, NotFoundError
from pichr.domain.files import VISIBILITIES, File
from pichr.domain.principal import Principal

PRESIGN_RETRIES = 30  # concurrent presigns of one account serialise on its ledger
ORIGINALS = "uploads/"  # the key prefix of the uploaded bytes (derived blobs live elsewhere)
ORIGINAL_NAME = "original"


@dataclass(frozen=True, slots=True)
class UploadRequest:
    filename: str
    mime: str
    bytes: int
    sha256: str | None = None
    title: str | None = None
    description: str | None = None
    visibility: str = "public"
    tags: tuple[str, ...] = ()
    expires_in: int | None = None

    def __post_init__(self) -> None:
        accepted_mime(self.mime)  # 415 before any quota is reserved or event written


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    file_id: str
    upload_id: str
    blob_key: str
    upload_token: str | None
    delete_token: str | None
    position: int


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Uploads:
    def __init__(
        self,
        app: PichrApplication,
        blobs: BlobStore,
        plans: dict[str, Plan] | None = None,
        anonymous_expiry_hours: int = 720,
        blocklist: Blocklist | None = None,
    ) -> None:
        self.app = app
        self.blobs = blobs
        self.plans = plans or DEFAULT_PLANS
        self.quotas = Quotas(app, self.plans)
        self.anonymous_expiry_hours = anonymous_expiry_hours
        self.screen = Screener(blocklist, self.quotas) if blocklist is not None else None

    def presign(self, who: Principal, req: UploadRequest) -> PresignedUpload:
        if req.visibility not in VISIBILITIES:
            raise InvalidInputError("Unknown visibility.", field="visibility")
        check_size(self.plans.get(who.plan, self.plans["anonymous"]), req.bytes)
        for attempt in range(PRESIGN_RETRIES):
            try:
                with self.quotas.turn(who.account_id):
                    return self._presign(who, req)
            except ConflictError:  # another process's presign took the ledger's version
                if attempt == PRESIGN_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 (jitter)
        raise AssertionError("unreachable")

    def _presign(self, who: Principal, req: UploadRequest) -> PresignedUpload:
        expires_in = req.expires_in
        if who.is_anonymous:  # anonymous files always expire
            expires_in = min(expires_in or self.anonymous_expiry_hours, self.anonymous_expiry_hours)
        file_id = ids.to_public(ids.FILE, ids.new_uuid())
        upload_id = ids.to_public(ids.UPLOAD, ids.new_uuid())
        day = self.app.clock().strftime("%Y-%m-%d")
        # The key names no part of the filename (personal data: docs/privacy.md); keys written
        # before this kept the filename's last segment and keep working as stored.
        key = f"{ORIGINALS}{day}/{file_id}/{ORIGINAL_NAME}"
        upload_token = ids.random_token() if who.is_anonymous else None
        delete_token = ids.random_token() if who.is_anonymous else None
        file = File(
            file_id=file_id,
            actor=who.actor,
            owner_id=who.account_id,
            upload_id=upload_id,
            filename=req.filename,
            mime=normalize_mime(req.mime),
            declared_bytes=req.bytes,
            sha256=req.sha256.lower() if req.sha256 else None,
            title=req.title,
            description=req.description,
            visibility=req.visibility,
            tags=list(req.tags),
            expires_in=expires_in,
            blob_key=key,
            upload_token_digest=digest(upload_token) if upload_token else None,
            delete_token_digest=digest(delete_token) if delete_token else None,
        )
        ledger = None
        if who.account_id is not None:
            ledger = self.quotas.reserve(who.actor, who.account_id, who.plan, file_id, req.bytes)
        position = self.app.commit(file, *([ledger] if ledger else []))
        return PresignedUpload(file_id, upload_id, key, upload_token, delete_token, position)

    def store(self, who: Principal, file_id: str, token: str | None, body: Readable) -> File:
        """Stream the body to the blob store; nothing is kept when any check fails."""
        file = self._own(who, file_id, token)
        file.ensure_storable()
        reader = GuardedReader(body, limit=file.declared_bytes, declared_mime=file.declared_mime)
        # Each attempt writes its own object, so two racing PUTs never touch each other's bytes;
        # the one whose event commits wins and the other removes only its own object.
        folder, _, name = file.blob_key.rpartition("/")
        key = f"{folder}/{ids.random_token(10)}/{name}"
        try:
            # The declared size, not "to the end": the store reads exactly that much (minio
            # otherwise buffers a whole 5 MiB part for every small image), and checks the end.
            info = self.blobs.put(key, reader, length=file.declared_bytes)
        except BodyLengthError:  # it ended early, and the store kept nothing
            raise InvalidInputError(
                "The body is shorter than declared.",
                field="bytes",
                declared=file.declared_bytes,
                received=reader.size,
            ) from None
        try:
            _check_sha256(file, reader)
            file.record_stored(
                actor=who.actor,
                key=key,
                size=reader.size,
                sha256=reader.sha256,
                mime=reader.mime or file.declared_mime,
                etag=info.etag,
            )
            self.app.commit(file)
        except Exception:
            self.blobs.delete(key)
            raise
        return file

    def finalize(
        self, who: Principal, upload_id: str, file_id: str, key: str | None, etag: str | None
    ) -> int:
        file = self._own(who, file_id, None, upload_id=upload_id)
        if key is not None and key not in (file.blob_key, file.stored_key):
            raise InvalidInputError("r2Key does not belong to this upload.", field="r2Key")
        if not file.finalizable():
            return 0
        if etag is not None and etag.strip('"') != file.stored["etag"]:
            raise ConflictError("r2Etag does not match the stored object.", field="r2Etag")
        self._refuse_blocked(who, file)
        try:
            facts = verify_stored(self.blobs, file.stored_key, file.stored)
        except BlobNotFoundError:
            raise ConflictError("The stored object is missing; upload it again.") from None
        except UnsupportedMediaError as exc:
            reason = exc.message

            def reject(f: File) -> list[Aggregate]:
                f.reject(actor=who.actor, reason=reason)
                ledger = self.quotas.release(who.actor, f, "rejected")
                return [ledger] if ledger else []

            self.app.change(File, ids.FILE, file_id, reject)
            self.blobs.delete(file.stored_key)
            upload_finalized("rejected")
            raise
        position = self.app.change(
            File,
            ids.FILE,
            file_id,
            lambda f: f.finalize(
                actor=who.actor, width=facts.width, height=facts.height, now=self.app.clock()
            ),
            loaded=file,
        )
        if position:  # 0: a concurrent finalize recorded it
            upload_finalized("finalized")
        return position

    def _refuse_blocked(self, who: Principal, file: File) -> None:
        """Bytes equal to a removed or quarantined image: UploadBlocked, the bytes go, 451.
        (Close images are caught by their perceptual hash when the analysis lands.)"""
        screen = self.screen
        if screen is None or not screen.blocklist.match(file.stored["sha256"], None, file.file_id):
            return
        self.app.change(File, ids.FILE, file.file_id, lambda f: screen(f, who.actor))
        self.blobs.delete(file.stored_key)
        upload_finalized("blocked")
        raise LegalHoldError("The upload matches content removed by moderation.", id=file.file_id)

    def _own(
        self, who: Principal, file_id: str, token: str | None, upload_id: str | None = None
    ) -> File:
        """The file, when the caller is its uploader; 404 to everyone else."""
        file = self.app.load(File, ids.FILE, file_id)
        file.ensure_live()
        if upload_id is not None and upload_id != file.upload_id:
            raise NotFoundError("No such upload.", id=upload_id)
        proof = upload_id is not None or (
            token is not None and digest(token) == file.upload_token_digest
        )
        check_uploader(file.facts(), who, proof=proof)
        return file


def check_size(plan: Plan, size: int) -> None:
    if size > plan.max_file_bytes:
        raise TooLargeError(
            "The file exceeds the size limit of the plan.",
            limit="maxFileBytes", maxFileBytes=plan.max_file_bytes, declaredBytes=size,
            plan=plan.name,
        )  # fmt: skip


def _check_sha256(file: File, reader: GuardedReader) -> None:
    """The length was the store's to check (put with `length`); the declared hash is ours."""
    if file.declared_sha256 and reader.sha256 != file.declared_sha256:
        raise InvalidInputError("The body does not match the declared sha256.", field="sha256")
