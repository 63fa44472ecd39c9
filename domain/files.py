"""The File aggregate: one uploaded image, from presign to deletion or expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from pichr.domain import ids
from pichr.domain.access import FileFacts
from pichr.domain.errors import ConflictError, GoneError, InvalidInputError, LegalHoldError

VISIBILITIES = ("public", "unlisted", "private")
HOTLINK_POLICIES = ("allow", "block", "whitelist")
EDITABLE = ("title", "description", "visibility", "tags", "hotlinkPolicy", "hotlinkWhitelist")


class File(Aggregate):
    TOPIC = "pichr.file.File.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.file.Created.v1"

    @event("UploadRequested", topic="pichr.file.UploadRequested.v1")
    def __init__(
        self,
        *,
        file_id: str,
        actor: str,
        owner_id: str | None,
        upload_id: str,
        filename: str,
        mime: str,
        declared_bytes: int,
        sha256: str | None,
        title: str | None,
        description: str | None,
        visibility: str,
        tags: list[str],
        expires_in: int | None,
        blob_key: str,
        upload_token_digest: str | None,
        delete_token_digest: str | None,
    ) -> None:
        self.file_id = file_id
        self.owner_id = owner_id
        self.upload_id = upload_id
        self.filename = filename
        self.declared_mime = mime
        self.declared_bytes = declared_bytes
        self.declared_sha256 = sha256
        self.title = title
        self.description = description
        self.visibility = visibility
        self.tags = tags
        self.expires_in = expires_in
        self.blob_key = blob_key
        self.upload_token_digest = upload_token_digest
        self.delete_token_digest = delete_token_digest
        self.status = "pending"
        self.stored: dict[str, Any] = {}
        self.finalized_at: datetime | None = None
        self.expires_at: datetime | None = None
        self.deleted = False
        self.expired = False
        self.analysis: dict[str, Any] = {}
        self.analysis_error: str | None = None
        self.purged = False
        self.hold: str | None = None  # moderation: "quarantined" | "banned"
        self.age_restricted = False  # by a moderator, whatever the score

    @staticmethod
    def create_id(file_id: str) -> UUID:
        return ids.to_uuid(ids.FILE, file_id)

    def facts(self) -> FileFacts:
        """What the access decision needs (domain/access.py), with the status the file
        listing shows: a moderation hold, else the end of its life, else its upload status."""
        ended = "deleted" if self.deleted else "expired" if self.expired else None
        return FileFacts(
            self.file_id,
            self.owner_id,
            self.visibility,
            self.hold or ended or self.status,
            expires_at=self.expires_at,
            analyzed=bool(self.analysis),
            analysis_failed=self.analysis_error is not None,
            nsfw_score=self.analysis.get("nsfw_score"),
            age_restricted=self.age_restricted,
        )

    # -- upload lifecycle -------------------------------------------------------------------

    def ensure_storable(self) -> None:
        """Raises unless bytes may be stored for this file: asked before they stream."""
        self.ensure_live()
        if self.status != "pending":
            raise ConflictError("The file's bytes were already uploaded.", status=self.status)

    def record_stored(
        self, *, actor: str, key: str, size: int, sha256: str, mime: str, etag: str
    ) -> None:
        """`key`: where this PUT put the bytes (each attempt writes its own object)."""
        self.ensure_storable()
        self._stored(actor=actor, key=key, size=size, sha256=sha256, mime=mime, etag=etag)

    @event("UploadStored", topic="pichr.file.UploadStored.v1")
    def _stored(
        self, *, actor: str, size: int, sha256: str, mime: str, etag: str, key: str = ""
    ) -> None:
        # `key` came later to v1 (before any release): events without it stored at blob_key.
        self.stored = {
            "key": key or self.blob_key,
            "size": size,
            "sha256": sha256,
            "mime": mime,
            "etag": etag,
        }
        self.status = "uploaded"

    @property
    def stored_key(self) -> str:
        return str(self.stored.get("key", self.blob_key))

    def finalizable(self) -> bool:
        """True when finalize would record; False when it was finalized already (finalize is
        idempotent); raises when it cannot be. Asked before the stored bytes are verified."""
        self.ensure_live()
        if self.status == "ready":
            return False
        if self.status != "uploaded":  # a rejected upload too: the status says it
            raise ConflictError("Upload the file's bytes before finalizing.", status=self.status)
        return True

    def finalize(self, *, actor: str, width: int, height: int, now: datetime) -> bool:
        """Record the verified upload; False when it was already finalized (idempotent)."""
        if not self.finalizable():
            return False
        expires_at = _after_hours(now, self.expires_in)
        self._finalized(actor=actor, width=width, height=height, expires_at=expires_at)
        return True

    @event("UploadFinalized", topic="pichr.file.UploadFinalized.v1")
    def _finalized(self, *, actor: str, width: int, height: int, expires_at: str | None) -> None:
        self.status = "ready"
        self.finalized_at = self.modified_on
        self.expires_at = datetime.fromisoformat(expires_at) if expires_at else None

    def reject(self, *, actor: str, reason: str) -> None:
        """The stored bytes failed verification; the upload ends here."""
        if self.status in ("pending", "uploaded"):
            self._rejected(actor=actor, reason=reason)

    @event("UploadRejected", topic="pichr.file.UploadRejected.v1")
    def _rejected(self, *, actor: str, reason: str) -> None:
        self.status = "rejected"

    # -- analysis (by the worker, after finalize) ---------------------------------------------

    @property
    def analyzed(self) -> bool:
        return bool(self.analysis) or self.analysis_error is not None

    @property
    def ended(self) -> bool:
        """Deleted or expired."""
        return self.deleted or self.expired

    @property
    def awaits_analysis(self) -> bool:
        """Finalized, not ended, and neither analyzed nor failed yet: worth reading its bytes."""
        return self.status == "ready" and not self.ended and not self.analyzed

    @property
    def reanalyzable(self) -> bool:
        """Analyzed, finalized and not ended: a later run of the pipeline may record for it."""
        return bool(self.analysis) and self.status == "ready" and not self.ended

    def record_analysis(self, *, actor: str, result: dict[str, Any]) -> bool:
        """Record the worker's results once; False when there is nothing to record (idempotent).

        `result` holds ImageAnalyzed's fields (see `_analyzed`); a deleted file records nothing.
        """
        if self.ended or self.analyzed:
            return False
        if self.status != "ready":
            raise ConflictError("Only a finalized file can be analyzed.", status=self.status)
        self._analyzed(actor=actor, **result)
        return True

    @event("ImageAnalyzed", topic="pichr.file.ImageAnalyzed.v1")
    def _analyzed(
        self,
        *,
        actor: str,
        width: int,
        height: int,
        frames: int,
        phash: str,
        nsfw_score: float,
        model: str,
        rendition_key: str,
        rendition_size: int,
        rendition_mime: str,
        rendition_sha256: str,
        thumbnail_key: str,
        thumbnail_size: int,
        thumbnail_sha256: str,
    ) -> None:
        self.analysis = analysis_state(
            width=width,
            height=height,
            phash=phash,
            nsfw_score=nsfw_score,
            model=model,
            rendition_key=rendition_key,
            thumbnail_key=thumbnail_key,
        )

    def record_reanalysis(self, *, actor: str, result: dict[str, Any]) -> bool:
        """A later run of the pipeline (a new model or threshold) over an analyzed file.

        Records ImageReanalyzed only when something the pipeline decides changed (the score,
        the hash or the model); False otherwise, so running it twice records nothing new.
        """
        if not self.reanalyzable:
            return False
        if all(self.analysis.get(k) == result[k] for k in ("nsfw_score", "phash", "model")):
            return False
        self._reanalyzed(actor=actor, **result)
        return True

    @event("ImageReanalyzed", topic="pichr.file.ImageReanalyzed.v1")
    def _reanalyzed(
        self,
        *,
        actor: str,
        width: int,
        height: int,
        frames: int,
        phash: str,
        nsfw_score: float,
        model: str,
        rendition_key: str,
        rendition_size: int,
        rendition_mime: str,
        rendition_sha256: str,
        thumbnail_key: str,
        thumbnail_size: int,
        thumbnail_sha256: str,
    ) -> None:
        self.analysis = analysis_state(
            width=width,
            height=height,
            phash=phash,
            nsfw_score=nsfw_score,
            model=model,
            rendition_key=rendition_key,
            thumbnail_key=thumbnail_key,
        )

    def fail_analysis(self, *, actor: str, reason: str) -> bool:
        """The bytes cannot be analyzed (a permanent failure); recorded once."""
        if not self.awaits_analysis:
            return False
        self._analysis_failed(actor=actor, reason=reason)
        return True

    @event("AnalysisFailed", topic="pichr.file.AnalysisFailed.v1")
    def _analysis_failed(self, *, actor: str, reason: str) -> None:
        self.analysis_error = reason

    # -- metadata ---------------------------------------------------------------------------

    def update_metadata(self, *, actor: str, changes: dict[str, Any], now: datetime) -> None:
        self.ensure_live()
        _check_changes(changes)
        expires_in = changes.pop("expiresIn", None)
        if expires_in is not None:
            changes["expiresAt"] = _after_hours(now, expires_in)
        if changes:
            self._metadata_updated(actor=actor, changes=changes)

    @event("MetadataUpdated", topic="pichr.file.MetadataUpdated.v1")
    def _metadata_updated(self, *, actor: str, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name == "expiresAt":
                self.expires_at = datetime.fromisoformat(value)
            elif name in ("hotlinkPolicy", "hotlinkWhitelist"):
                continue
            else:
                setattr(self, name, value)

    # -- end of life ------------------------------------------------------------------------

    def delete(self, *, actor: str) -> None:
        self.ensure_live()
        self._deleted(actor=actor)

    @event("FileDeleted", topic="pichr.file.FileDeleted.v1")
    def _deleted(self, *, actor: str) -> None:
        self.deleted = True

    def expire(self, *, now: datetime) -> bool:
        if self.held:  # kept as it is while moderation holds it
            return False
        if self.deleted or self.expired or self.expires_at is None or self.expires_at > now:
            return False
        self._expired(actor="system")
        return True

    @event("FileExpired", topic="pichr.file.FileExpired.v1")
    def _expired(self, *, actor: str) -> None:
        self.expired = True

    def ensure_live(self) -> None:
        if self.deleted or self.expired:
            raise GoneError("The file was deleted or has expired.")
        if self.status == "abandoned":
            raise GoneError("The upload was abandoned; start a new one.")
        if self.hold == "banned":
            raise GoneError("The file was removed by a moderator.")
        if self.hold == "quarantined" or self.status == "blocked":
            raise LegalHoldError("The file is withheld for legal reasons.")

    # -- moderation (application/moderation/decisions.py; each event names report and reason) --

    @property
    def held(self) -> bool:
        """Quarantined or banned: its bytes are kept (evidence, or for a restore), never purged."""
        return self.hold is not None

    def hashes(self) -> dict[str, str | None]:
        """What the blocklist matches later uploads by."""
        return {"sha256": self.stored.get("sha256"), "phash": self.analysis.get("phash")}

    def quarantine(self, *, actor: str, report_id: str, reason: str) -> bool:
        """Withhold a published file at once (csam, terrorism); False when already held."""
        if self.held or self.status != "ready" or self.deleted or self.expired:
            return False
        self._quarantined(actor=actor, report_id=report_id, reason=reason, **self.hashes())
        return True

    @event("FileQuarantined", topic="pichr.file.FileQuarantined.v1")
    def _quarantined(
        self, *, actor: str, report_id: str, reason: str, sha256: str | None, phash: str | None
    ) -> None:
        self.hold = "quarantined"

    def ban(self, *, actor: str, report_id: str, reason: str, category: str) -> bool:
        """Remove a published file for good (410), even one deleted meanwhile; False if banned."""
        if self.hold == "banned":
            return False
        if self.finalized_at is None:
            raise ConflictError("Only a published file can be removed.", status=self.status)
        self._banned(
            actor=actor, report_id=report_id, reason=reason, category=category, **self.hashes()
        )
        return True

    @event("FileBanned", topic="pichr.file.FileBanned.v1")
    def _banned(
        self,
        *,
        actor: str,
        report_id: str,
        reason: str,
        category: str,
        sha256: str | None,
        phash: str | None,
    ) -> None:
        self.hold = "banned"

    def restrict(self, *, actor: str, report_id: str, reason: str) -> bool:
        """Age-restrict a live file (lift a hold first); False when already restricted."""
        self.ensure_live()
        if self.status != "ready":
            raise ConflictError("Only a published file can be restricted.", status=self.status)
        if self.age_restricted:
            return False
        self._age_restricted(actor=actor, report_id=report_id, reason=reason)
        return True

    @event("AgeRestricted", topic="pichr.file.AgeRestricted.v1")
    def _age_restricted(self, *, actor: str, report_id: str, reason: str) -> None:
        self.age_restricted = True

    def restore(self, *, actor: str, report_id: str, reason: str) -> bool:
        """Lift a quarantine, ban or age restriction; False when there is nothing to lift."""
        if not self.held and not self.age_restricted:
            return False
        status = "deleted" if self.deleted else "expired" if self.expired else self.status
        self._restored(actor=actor, report_id=report_id, reason=reason, status=status)
        return True

    @event("FileRestored", topic="pichr.file.FileRestored.v1")
    def _restored(self, *, actor: str, report_id: str, reason: str, status: str) -> None:
        """`status`: the file's lifecycle status again (read models show it)."""
        self.hold = None
        self.age_restricted = False

    def block(
        self, *, actor: str, matched_file_id: str, report_id: str | None, kind: str, distance: int
    ) -> bool:
        """The upload matches the blocklist (`kind` "exact" or "similar"): it ends here (451).
        False when it ended otherwise, or is itself held."""
        if self.status not in ("uploaded", "ready") or self.held or self.deleted or self.expired:
            return False
        self._blocked(
            actor=actor,
            reason=f"matches blocked content ({kind})",
            matched_file_id=matched_file_id,
            report_id=report_id,
            kind=kind,
            distance=distance,
            **self.hashes(),
        )
        return True

    @event("UploadBlocked", topic="pichr.file.UploadBlocked.v1")
    def _blocked(
        self,
        *,
        actor: str,
        reason: str,
        matched_file_id: str,
        report_id: str | None,
        kind: str,
        distance: int,
        sha256: str | None,
        phash: str | None,
    ) -> None:
        self.status = "blocked"

    # -- clean-up (application/cleanup/jobs.py) ----------------------------------------------------

    def abandon(self, *, actor: str, reason: str) -> bool:
        """The upload never reached finalize (stale, or its multipart upload was aborted).

        False when it was finalized or ended otherwise meanwhile (nothing to do)."""
        if self.status not in ("pending", "uploaded") or self.deleted or self.expired:
            return False
        self._abandoned(actor=actor, reason=reason, keys=self.blob_keys())
        return True

    @event("UploadAbandoned", topic="pichr.file.UploadAbandoned.v1")
    def _abandoned(self, *, actor: str, reason: str, keys: list[str]) -> None:
        self.status = "abandoned"

    def blob_keys(self) -> list[str]:
        """Every blob this file may own, for the purge. When an event records a new derived
        blob, add its key here (and name the event field `key`/`*_key`, for the orphan sweep)."""
        keys = [self.blob_key]  # presign's name: a multipart upload assembles the object there
        if self.stored:
            keys.append(self.stored["key"])
        derived = ("rendition_key", "thumbnail_key")  # from ImageAnalyzed
        keys += [self.analysis[k] for k in derived if self.analysis.get(k)]
        return list(dict.fromkeys(keys))

    @property
    def purgeable(self) -> bool:
        """Its bytes are no longer served: deleted, expired, abandoned, rejected or blocked;
        never while held by moderation (evidence)."""
        ended = self.deleted or self.expired
        return not self.held and (ended or self.status in ("abandoned", "rejected", "blocked"))

    def purge_blobs(self, *, actor: str, keys: list[str]) -> bool:
        """Record that `keys` were deleted from the blob store; False when already recorded."""
        if self.purged:
            return False
        if not self.purgeable:
            raise ConflictError("Only an ended file's blobs may be purged.", status=self.status)
        self._blobs_purged(actor=actor, keys=keys)
        return True

    @event("BlobsPurged", topic="pichr.file.BlobsPurged.v1")
    def _blobs_purged(self, *, actor: str, keys: list[str]) -> None:
        self.purged = True


def _after_hours(now: datetime, hours: int | None) -> str | None:
    return (now + timedelta(hours=hours)).isoformat() if hours else None


def _check_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - {*EDITABLE, "expiresIn"}
    if unknown:
        raise InvalidInputError("Unknown fields.", fields=sorted(unknown))
    if "visibility" in changes and changes["visibility"] not in VISIBILITIES:
        raise InvalidInputError("Unknown visibility.", field="visibility")
    hours = changes.get("expiresIn")
    # 0 or less would record an expiresAt of None (a crash on apply) or one in the past.
    if hours is not None and (type(hours) is not int or hours < 1):
        raise InvalidInputError("expiresIn must be whole hours >= 1.", field="expiresIn")
    if changes.get("hotlinkPolicy") == "whitelist" and not changes.get("hotlinkWhitelist"):
        raise InvalidInputError(
            "A whitelist policy needs hotlinkWhitelist.", field="hotlinkWhitelist"
        )


def analysis_state(**fields: Any) -> dict[str, Any]:
    """What a File keeps of its latest analysis (first run or a re-run)."""
    kept = ("width", "height", "phash", "nsfw_score", "model", "rendition_key", "thumbnail_key")
    return {name: fields[name] for name in kept}
