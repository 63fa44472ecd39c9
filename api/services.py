"""Everything a request handler needs, built once per process from the settings (by the
composition root: scripts/compose.py builds them, scripts/lifespan.py starts and stops them)."""

from __future__ import annotations

from dataclasses import dataclass

from pichr.api.album_services import AlbumServices
from pichr.api.auth import Authenticator
from pichr.api.limits.limiter import Limiter
from pichr.api.wire.views import Urls
from pichr.application.blobs.port import BlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.files.tally import ViewCounter
from pichr.application.files.variants import Variants
from pichr.application.identity import Identity
from pichr.application.moderation.decisions import Moderation
from pichr.application.moderation.reports import ReportsOfFile
from pichr.application.multipart.commands import Multipart
from pichr.application.privacy.erase import Erasure
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import Uploads
from pichr.application.uploads.duplicates import DuplicateIndex
from pichr.application.uploads.plans import Plan
from pichr.projections.log.analysis_follower import AnalysisFollower
from pichr.projections.log.waiter import PositionWaiter
from pichr.projections.queries.ops import OpsReads
from pichr.projections.queries.reads import ReadModels
from pichr.projections.queries.rows import FileRow


@dataclass
class Services:
    settings: Settings
    app: PichrApplication
    blobs: BlobStore
    uploads: Uploads
    files: FileCommands
    reads: ReadModels
    auth: Authenticator
    waiter: PositionWaiter
    counter: ViewCounter
    urls: Urls
    identity: Identity
    plans: dict[str, Plan]
    limiter: Limiter | None  # None: limits switched off (PICHR_RATE_LIMITS=false)
    multipart: Multipart
    albums: AlbumServices
    # Analysis results as they land: duplicates, finalize's wait.
    analyses: AnalysisFollower[DuplicateIndex]
    moderation: Moderation  # reports, the reporters' e-mails, moderators' decisions
    reports_of_file: ReportsOfFile  # for a file's history (application/moderation/audit.py)
    variants: Variants  # sizes and formats on request (/i/{id}?w=...)
    ops: OpsReads  # /metrics: the log's head, followers' lag, jobs
    trusted_proxies: frozenset[str] = frozenset()
    erasure: Erasure | None = None  # POST /admin/accounts/{id}/erase (application/privacy/)

    @property
    def nsfw_threshold(self) -> float:
        return self.settings.nsfw_threshold

    async def caught_up(self, position: int, projection: str = "file_listing") -> bool:
        if position <= 0:
            return True
        return await self.waiter.wait_for(projection, position, self.settings.read_wait_ms / 1000)

    async def fenced(self, projection: str = "file_listing") -> bool:
        """Wait until `projection` has folded every event committed before this call: a read
        that follows a command which did not wait (presign) sees what that command wrote."""
        return await self.caught_up(await self.reads.head(), projection)

    async def file_row(self, file_id: str) -> FileRow | None:
        """The file's row; a missing one is read again once the log is folded (presigned a
        moment ago: presign does not wait for the read models)."""
        row = await self.reads.file(file_id)
        if row is None and await self.fenced():
            row = await self.reads.file(file_id)
        return row
