"""Refusing uploads of removed or quarantined images: exact by sha256, close by perceptual hash.

The blocklist itself is a read model (projections/views/blocklist.py, folded from FileQuarantined
and FileBanned; FileRestored takes an entry out). Uploads are screened twice: at finalize by
sha256 (the phash is not known yet), and when the worker's analysis lands, by both hashes, in
the same save as ImageAnalyzed, so a blocked image is never served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import psycopg
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ProgrammingError

from pichr.application.moderation.reports import app_cursor
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.plans import load_plans
from pichr.application.uploads.quota import Quotas
from pichr.domain.files import File

PHASH = re.compile(r"^[0-9a-f]{16}$")  # imagehash's 64-bit phash as hex
EXACT = "SELECT file_id, report_id FROM blocklist WHERE sha256 = %s AND file_id <> %s LIMIT 1"
SIMILAR = (
    "SELECT file_id, report_id, d FROM (SELECT file_id, report_id,"
    " bit_count(('x' || phash)::bit(64) # ('x' || %s)::bit(64)) AS d FROM blocklist"
    " WHERE phash IS NOT NULL AND file_id <> %s) m WHERE d <= %s ORDER BY d, file_id LIMIT 1"
)


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


class SqlBlocklist:
    """The blocklist read model, read through the application's own pool."""

    def __init__(self, app: PichrApplication, max_distance: int) -> None:
        self.app = app
        self.max_distance = max_distance

    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        try:
            with app_cursor(self.app) as cur:
                if cur is None:
                    return None
                if sha256:
                    cur.execute(EXACT, (sha256, exclude), prepare=True)
                    row = cur.fetchone()
                    if row:
                        return BlockMatch(row["file_id"], row["report_id"], "exact", 0)
                if not phash or not PHASH.match(phash):
                    return None
                cur.execute(SIMILAR, (phash, exclude, self.max_distance), prepare=True)
                row = cur.fetchone()
                return (
                    BlockMatch(row["file_id"], row["report_id"], "similar", row["d"])
                    if row
                    else None
                )
        except ProgrammingError as exc:  # no blocklist table yet (before the first start-up)
            if isinstance(exc.__cause__, psycopg.errors.UndefinedTable):
                return None
            raise


class Screener:
    """Blocks a file that matches the blocklist; returns the other aggregates to save with it
    (the owner's storage ledger, released as for a rejected upload)."""

    def __init__(self, blocklist: Blocklist, quotas: Quotas | None) -> None:
        self.blocklist = blocklist
        self.quotas = quotas

    @classmethod
    def on(cls, app: PichrApplication, max_distance: int, plans: str = "") -> Screener:
        """The blocklist read model of `app`'s database; `plans`: PICHR_PLANS."""
        return cls(SqlBlocklist(app, max_distance), Quotas(app, load_plans(plans)))

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
