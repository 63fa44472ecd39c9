"""Erasing an account (GDPR art. 17) by crypto-shredding: delete the account, its albums and
files (bytes purged, quarantined or banned evidence kept), record AccountErased, then delete
the subject keys: every sealed personal field of the account then reads as "[erased]" in the
log, and the read models holding personal data are rebuilt by the caller (PERSONAL_VIEWS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from pichr.application.blobs.port import BlobStore
from pichr.application.cleanup.jobs import purge_file
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.quota import Quotas
from pichr.domain import ids
from pichr.domain.accounts import Account
from pichr.domain.albums import Album
from pichr.domain.errors import GoneError, NotFoundError
from pichr.domain.files import File
from pichr.domain.quota import ledger_id

# The read models that hold personal data: rebuilt after an erasure (projections' names).
PERSONAL_VIEWS = ("file_listing", "auth", "albums")


class AccountContents(Protocol):
    """What an account owns, as the read models know it (answered by
    projections/queries/erasure.py): its files, albums and API keys by public id."""

    def files(self, account_id: str) -> list[str]: ...
    def albums(self, account_id: str) -> list[str]: ...
    def keys(self, account_id: str) -> list[str]: ...


@dataclass
class ErasureReport:
    account_id: str
    files_deleted: list[str] = field(default_factory=list)
    files_purged: list[str] = field(default_factory=list)
    evidence_kept: list[str] = field(default_factory=list)  # quarantined/banned: bytes kept
    albums_deleted: list[str] = field(default_factory=list)
    keys_erased: int = 0
    position: int = 0


@dataclass(frozen=True)
class Erasure:
    app: PichrApplication
    blobs: BlobStore
    quotas: Quotas
    contents: AccountContents
    # Rebuilds the named read models from the log (projections/log/replay.py, wired at the root).
    rebuild: Callable[[tuple[str, ...]], None]

    def erase(self, actor: str, account_id: str, reason: str) -> ErasureReport:
        app = self.app
        account = app.load(Account, ids.ACCOUNT, account_id)
        if getattr(account, "erased", False):
            raise GoneError("The account is already erased.", id=account_id)
        report = ErasureReport(account_id)
        if not account.deleted:
            app.change(Account, ids.ACCOUNT, account_id, lambda a: a.delete(actor=actor))
        for album_id in self.contents.albums(account_id):
            if self._delete_album(actor, album_id):
                report.albums_deleted.append(album_id)
        for file_id in self.contents.files(account_id):
            self._end_file(actor, file_id, report)
        report.position = app.change(
            Account, ids.ACCOUNT, account_id, lambda a: a.erase(actor=actor, reason=reason)
        )
        owned = [Account.create_id(account_id), ledger_id(account_id)]
        owned += [ids.to_uuid(ids.FILE, f) for f in self.contents.files(account_id)]
        owned += [ids.to_uuid(ids.ALBUM, a) for a in self.contents.albums(account_id)]
        owned += [ids.to_uuid(ids.KEY, k) for k in self.contents.keys(account_id)]
        gone = app.keys.erase(account_id, owned)
        report.keys_erased = len(gone)
        _forget(app, [*owned, *gone])
        self.rebuild(PERSONAL_VIEWS)
        return report

    def _delete_album(self, actor: str, album_id: str) -> bool:
        try:
            album = self.app.load(Album, ids.ALBUM, album_id)
        except NotFoundError:
            return False
        if album.deleted:
            return False
        self.app.change(Album, ids.ALBUM, album_id, lambda a: a.delete(actor=actor))
        return True

    def _end_file(self, actor: str, file_id: str, report: ErasureReport) -> None:
        try:
            file = self.app.load(File, ids.FILE, file_id)
        except NotFoundError:
            return
        if not (file.deleted or file.expired or file.held):
            quotas = self.quotas

            def end(f: File) -> list[Aggregate]:
                f.delete(actor=actor)
                ledger = quotas.release(actor, f, "erased")
                return [ledger] if ledger else []

            self.app.change(File, ids.FILE, file_id, end)
            report.files_deleted.append(file_id)
        if file.held:
            report.evidence_kept.append(file_id)
        elif purge_file(self.app, self.blobs, file_id, actor=actor):
            report.files_purged.append(file_id)


def _forget(app: PichrApplication, aggregate_ids: list[UUID]) -> None:
    """Drop the aggregates from this process's repository cache (they hold plaintext)."""
    cache = app.repository.cache
    if cache is None:
        return
    for aggregate_id in aggregate_ids:
        try:
            cache.get(aggregate_id, evict=True)
        except KeyError:
            continue
