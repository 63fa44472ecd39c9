"""Reserving and releasing storage on an account's ledger, saved with the file it concerns."""

from __future__ import annotations

import contextlib
import threading

from eventsourcing.application import AggregateNotFoundError

from pichr.application.store.app import PichrApplication
from pichr.application.uploads.plans import Plan
from pichr.domain.files import File
from pichr.domain.quota import StorageLedger, ledger_id

TURN_STRIPES = 64


class Quotas:
    def __init__(self, app: PichrApplication, plans: dict[str, Plan]) -> None:
        self.app = app
        self.plans = plans
        self._turns = [threading.Lock() for _ in range(TURN_STRIPES)]

    def turn(self, account_id: str | None) -> contextlib.AbstractContextManager[object]:
        """Held around a reservation and its commit: this process's reservations for one
        account take turns. Concurrent ones would all write the ledger's next version, and
        every loser pays a failed commit and a retry (one account uploading from 8 clients
        lost more than one commit per upload). Other processes' still collide: callers retry
        on ConflictError."""
        if account_id is None:
            return contextlib.nullcontext()
        return self._turns[hash(account_id) % TURN_STRIPES]

    def ledger(self, account_id: str) -> StorageLedger:
        try:
            found: object = self.app.repository.get(ledger_id(account_id))
        except AggregateNotFoundError:
            return StorageLedger(account_id=account_id)
        assert isinstance(found, StorageLedger)  # noqa: S101  (ids are derived per type)
        return found

    def reserve(
        self, actor: str, account_id: str, plan: str, file_id: str, size: int
    ) -> StorageLedger:
        """The ledger with the reservation recorded (QuotaExceededError when it won't fit)."""
        ledger = self.ledger(account_id)
        quota = self.plans[plan].quota_bytes if plan in self.plans else None
        ledger.reserve(actor=actor, file_id=file_id, size=size, quota=quota)
        return ledger

    def release(self, actor: str, file: File, reason: str) -> StorageLedger | None:
        """The owner's ledger with the file's bytes released; None for anonymous files."""
        if file.owner_id is None:
            return None
        ledger = self.ledger(file.owner_id)
        ledger.release(actor=actor, file_id=file.file_id, size=file.declared_bytes, reason=reason)
        return ledger
