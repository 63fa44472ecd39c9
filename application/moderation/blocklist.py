"""Refusing uploads of removed or quarantined images: exact by sha256, close by perceptual hash.

The blocklist itself is a read model (projections/views/blocklist.py, folded from FileQuarantined
and FileBanned; FileRestored takes an entry out), asked through BlocklistEntries (answered by
projections/queries/for_commands.py); which entry blocks an upload is decided here. Uploads are
screened twice: at finalize by sha256 (the phash is not known yet), and when the worker's
analysis lands, by both hashes, in the same save as ImageAnalyzed, so a blocked image is never
served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.domain import Aggregate

from pichr.application.store.app import PichrApplication
from pichr.application.uploads.plans import load_plans
from pichr.application.uploads.quota import Quotas
from pichr.domain.files import File

PHASH = re.compile(r"^[0-9a-f]{16}$")  # imagehash's 64-bit phash as hex


@dataclass(frozen=True, slots=True)
class BlockMatch:
    file_id: str  # the removed or quarantined file matched
    report_id: str | None
    kind: str  # "exact" | "similar"
    distance: int


class Blocklist(Protocol):
    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        """The closest entry (other than `exclude`) within the configured distance."""
        ...


@dataclass(frozen=True, slots=True)
class Entry:
    file_id: str
    sha256: str | None
    phash: str | None
    report_id: str | None = None


class MemoryBlocklist:
    def __init__(self, max_distance: int, entries: list[Entry] | None = None) -> None:
        self.max_distance = max_distance
        self.entries = list(entries or [])

    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        others = [e for e in self.entries if e.file_id != exclude]
        for e in others:
            if sha256 and e.sha256 == sha256:
                return BlockMatch(e.file_id, e.report_id, "exact", 0)
        if not phash or not PHASH.match(phash):
            return None
        close = [(distance(phash, e.phash), e) for e in others if e.phash]
        found = min(((d, e) for d, e in close if d <= self.max_distance), default=None,
                    key=lambda de: (de[0], de[1].file_id))  # fmt: skip
        return (
            BlockMatch(found[1].file_id, found[1].report_id, "similar", found[0]) if found else None
        )


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class BlocklistEntries(Protocol):
    """The blocklist read model's entries other than `exclude` (none before it exists)."""

    def exact(self, sha256: str, exclude: str) -> tuple[str, str | None] | None:
        """(file id, report id) of an entry with these bytes."""
        ...

    def closest(
        self, phash: str, exclude: str, max_distance: int
    ) -> tuple[str, str | None, int] | None:
        """(file id, report id, distance) of the entry whose phash is closest, within
        `max_distance` bits (ties: the lowest file id)."""
        ...


class ReadModelBlocklist:
    """The blocklist read model: the same bytes first, then the closest perceptual hash."""

    def __init__(self, entries: BlocklistEntries, max_distance: int) -> None:
        self.entries = entries
        self.max_distance = max_distance

    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        same = self.entries.exact(sha256, exclude) if sha256 else None
        if same is not None:
            return BlockMatch(same[0], same[1], "exact", 0)
        if not phash or not PHASH.match(phash):
            return None  # never in the query: the read model compares it as 64 bits
        close = self.entries.closest(phash, exclude, self.max_distance)
        return BlockMatch(close[0], close[1], "similar", close[2]) if close else None


class Screener:
    """Blocks a file that matches the blocklist; returns the other aggregates to save with it
    (the owner's storage ledger, released as for a rejected upload)."""

    def __init__(self, blocklist: Blocklist, quotas: Quotas | None) -> None:
        self.blocklist = blocklist
        self.quotas = quotas

    @classmethod
    def on(cls, app: PichrApplication, blocklist: Blocklist, plans: str = "") -> Screener:
        """Releasing the quotas of `app`'s owners; `plans`: PICHR_PLANS."""
        return cls(blocklist, Quotas(app, load_plans(plans)))

    def __call__(self, file: File, actor: str) -> list[Aggregate]:
        found = self.blocklist.match(
            file.stored.get("sha256"), file.analysis.get("phash"), file.file_id
        )
        if found is None:
            return []
        if not file.block(actor=actor, matched_file_id=found.file_id, report_id=found.report_id,
                          kind=found.kind, distance=found.distance):  # fmt: skip
            return []
        ledger = self.quotas.release(actor, file, "blocked") if self.quotas else None
        return [ledger] if ledger else []
