"""Storage quota: one ledger per account, the consistency boundary for reservations.

Presign reserves a file's bytes on the ledger in the same save as the file itself, so
concurrent presigns conflict on the ledger's version and can never overshoot the quota.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from pichr.domain.errors import DomainError


class QuotaExceededError(DomainError):
    """The upload would take the account over its storage quota."""


def ledger_id(account_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"pichr:storage-ledger:{account_id}")


class StorageLedger(Aggregate):
    TOPIC = "pichr.quota.StorageLedger.v1"

    class Created(Aggregate.Created):
        TOPIC = "pichr.quota.Created.v1"

    class Snapshot(Aggregate.Snapshot):  # type: ignore[misc,valid-type]
        TOPIC = "pichr.quota.Snapshot.v1"

    @event("LedgerOpened", topic="pichr.quota.LedgerOpened.v1")
    def __init__(self, *, account_id: str) -> None:
        self.account_id = account_id
        self.used = 0
        self.files = 0

    @staticmethod
    def create_id(account_id: str) -> UUID:
        return ledger_id(account_id)

    def reserve(self, *, actor: str, file_id: str, size: int, quota: int | None) -> None:
        if quota is not None and self.used + size > quota:
            raise QuotaExceededError(
                "The upload would exceed the storage quota.",
                limit="storageQuota",
                quotaBytes=quota,
                usedBytes=self.used,
                requestedBytes=size,
            )
        self._reserved(actor=actor, file_id=file_id, size=size)

    @event("StorageReserved", topic="pichr.quota.StorageReserved.v1")
    def _reserved(self, *, actor: str, file_id: str, size: int) -> None:
        self.used += size
        self.files += 1

    def release(self, *, actor: str, file_id: str, size: int, reason: str) -> None:
        self._released(actor=actor, file_id=file_id, size=size, reason=reason)

    @event("StorageReleased", topic="pichr.quota.StorageReleased.v1")
    def _released(self, *, actor: str, file_id: str, size: int, reason: str) -> None:
        self.used = max(0, self.used - size)
        self.files = max(0, self.files - 1)
