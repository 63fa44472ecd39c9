"""The analysis commands: files that wait for their analysis, from their stored bytes to
ImageAnalyzed (or AnalysisFailed); a later run of the pipeline over analyzed files.

Safe to run twice: a file that already has its analysis recorded is skipped, and recording is
idempotent too, so a second delivery, even a concurrent one, records nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pichr.application.analysis.derived import DerivedWrites, derive
from pichr.application.analysis.screening import screening_ahead
from pichr.application.blobs.handoff import kept_blob
from pichr.application.blobs.port import BlobNotFoundError, BlobStore
from pichr.application.imaging.analysis import Derived, Deriving
from pichr.application.imaging.nsfw import ModelInfo, Tensor
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.metrics import timed_analysis
from pichr.application.moderation.blocklist import Screener
from pichr.application.store.app import PichrApplication
from pichr.domain import ids
from pichr.domain.errors import ConflictError
from pichr.domain.files import File

log = logging.getLogger("pichr.analysis")
WORKER = "system:analysis"
BLOCKLIST = "system:blocklist"
REANALYSIS = "system:reanalysis"
Loaded = tuple[File, Derived, DerivedWrites]
Fields = dict[str, Any]  # ImageAnalyzed's


class Model(Protocol):
    """The NSFW model (application/imaging/nsfw.py's NsfwModel)."""

    info: ModelInfo

    def score(self, batch: list[Tensor]) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one run recorded: files analyzed, and files whose bytes cannot be analyzed."""

    analyzed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


class ImageAnalysis:
    """`model`: the process's model, asked for only when there is something to score."""

    def __init__(
        self,
        app: PichrApplication,
        blobs: BlobStore,
        model: Callable[[], Model],
        screener: Screener,
    ) -> None:
        self.app, self.blobs, self.model, self.screener = app, blobs, model, screener

    @timed_analysis
    def analyze(self, file_ids: list[str]) -> Recorded:
        """The files that still wait for it: one model run and one commit for them all. The
        derived blobs are stored, and the blocklist asked, while the analysis goes on; the
        analysis is recorded once the blobs are durable."""
        screen, ahead = screening_ahead(self.screener)
        loaded: list[Loaded] = []
        failed: list[str] = []
        for file_id in file_ids:
            found = self._waiting(file_id)
            if found is None:
                continue
            file, data, step = found
            try:
                loaded.append((file, *derive(self.blobs, file, data, ahead, step)))
            except UnsupportedMediaError as exc:
                if self._fail(file_id, exc.message):
                    failed.append(file_id)
        analyzed = self._record(self._scored(loaded), screen) if loaded else []
        return Recorded(tuple(analyzed), tuple(failed))

    def reanalyze(self, file_ids: list[str]) -> int:
        """Run analyzed files through the current pipeline again; how many got new results."""
        loaded: list[Loaded] = []
        for file_id in file_ids:
            file = self.app.load(File, ids.FILE, file_id)
            if not file.reanalyzable:
                continue
            try:
                data = b"".join(self.blobs.read(file.stored_key))
                loaded.append((file, *derive(self.blobs, file, data, None)))
            except (BlobNotFoundError, UnsupportedMediaError) as exc:
                log.warning("not reanalyzing %s: %s", file_id, exc)
        if not loaded:
            return 0
        changed = 0
        for file, fields in self._scored(loaded):
            changed += self.app.change(File, ids.FILE, file.file_id, _reanalysis(fields)) > 0
        return changed

    # -- steps ------------------------------------------------------------------------------

    def _waiting(self, file_id: str) -> tuple[File, bytes, Deriving | None] | None:
        """The file, when it still waits for its analysis, with its bytes (and their decode,
        when finalize in this process kept it with them: blobs/handoff.py)."""
        file = self.app.load(File, ids.FILE, file_id)
        if not file.awaits_analysis:
            return None
        kept = kept_blob(self.blobs, file.stored_key, take=True)
        if kept is not None:
            return file, kept.data, kept.made if isinstance(kept.made, Deriving) else None
        try:
            return file, b"".join(self.blobs.read(file.stored_key)), None
        except BlobNotFoundError:
            if self.app.load(File, ids.FILE, file_id).ended:
                return None  # deleted meanwhile: nothing to analyze
            raise

    def _scored(self, loaded: list[Loaded]) -> list[tuple[File, Fields]]:
        """One model run over the batch; each file's fields once its blobs are durable."""
        model = self.model()
        scores = model.score([facts.model_input for _, facts, _ in loaded])
        return [
            (file, writes.fields(facts, score, model.info.label))
            for (file, facts, writes), score in zip(loaded, scores, strict=True)
        ]

    def _record(self, analyzed: list[tuple[File, Fields]], screen: Screener) -> list[str]:
        """One save for the batch; after a concurrent write (a duplicate delivery), file by
        file. The files whose analysis this run recorded."""
        blocked: list[Any] = []
        recorded: list[str] = []
        for file, fields in analyzed:
            if file.record_analysis(actor=WORKER, result=fields):
                recorded.append(file.file_id)
                blocked += screen(file, BLOCKLIST)  # same save: a blocked image is never served
        try:
            self.app.commit(*(file for file, _ in analyzed), *blocked)
        except ConflictError:
            return [f.file_id for f, fields in analyzed if self._record_one(f.file_id, fields)]
        return recorded

    def _record_one(self, file_id: str, fields: Fields) -> bool:
        recorded = False

        def record(f: File) -> list[Any]:
            nonlocal recorded
            recorded = f.record_analysis(actor=WORKER, result=fields)
            return self.screener(f, BLOCKLIST) if recorded else []

        self.app.change(File, ids.FILE, file_id, record)
        return recorded

    def _fail(self, file_id: str, reason: str) -> bool:
        log.warning("analysis of %s failed for good: %s", file_id, reason)
        fail = lambda f: f.fail_analysis(actor=WORKER, reason=reason)  # noqa: E731
        return self.app.change(File, ids.FILE, file_id, fail) > 0


def _reanalysis(fields: Fields) -> Callable[[File], bool]:
    return lambda f: f.record_reanalysis(actor=REANALYSIS, result=fields)
