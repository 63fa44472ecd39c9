"""The one-request upload (`POST /upload`, curl -F, ShareX, a URL to fetch): presign, store and
finalize, the same commands the three-step flow runs, in one call, over a spooled body whose
size and type are already checked. A failure after presign abandons the upload (the quota is
released, the blobs go), so nothing is left half-written; should that clean-up fail too, the
stale-upload sweep (PICHR_ABANDON_AFTER_HOURS) ends it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from pichr.application.cleanup.jobs import abandon_upload
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.application.uploads.spool import Spool
from pichr.domain import ids
from pichr.domain.album_access import check_album_change
from pichr.domain.albums import Album
from pichr.domain.principal import Principal

ABANDONED = "The one-request upload failed before it was finalized."


@dataclass(frozen=True, slots=True)
class OneUpload:
    file_id: str
    upload_id: str
    delete_token: str | None
    position: int


def upload_limit(uploads: Uploads, who: Principal, max_upload_bytes: int) -> int:
    """The largest body the caller may send: the plan's limit within the instance's."""
    plan = uploads.plans.get(who.plan, uploads.plans["anonymous"])
    return min(plan.max_file_bytes, max_upload_bytes)


class OneRequest:
    def __init__(self, uploads: Uploads) -> None:
        self.uploads = uploads

    def check_album(self, who: Principal, album_id: str) -> None:
        """The album the upload goes into must be the caller's, before anything is written."""
        album = self.uploads.app.load(Album, ids.ALBUM, album_id)
        check_album_change(album.facts(), who)

    def upload(self, who: Principal, req: UploadRequest, body: Spool) -> OneUpload:
        """`req` without the body's facts: they come from the spool (finished)."""
        assert body.mime is not None  # noqa: S101  (Spool.finish sniffed it)
        # The store hashes the bytes as they go (and records the digest): no second pass here.
        req = replace(req, mime=body.mime, bytes=body.size)
        made = self.uploads.presign(who, req)
        try:
            self.uploads.store(who, made.file_id, made.upload_token, body)
            position = self.uploads.finalize(who, made.upload_id, made.file_id, None, None)
        except BaseException:
            self._abandon(who, made.file_id)
            raise
        return OneUpload(made.file_id, made.upload_id, made.delete_token, position)

    def _abandon(self, who: Principal, file_id: str) -> None:
        up = self.uploads
        # Rejected or blocked uploads were ended by finalize (nothing to do); should this fail
        # too, the stale-upload sweep ends it, and the first error is the answer.
        with contextlib.suppress(Exception):
            abandon_upload(up.app, up.blobs, up.quotas, file_id, actor=who.actor, reason=ABANDONED)
