"""Uploads on their way through one process (`pichr serve`, where the analysis worker runs in
the API process), kept a short while so that nothing reads a blob back that this process has
just written or read:
- the direct PUT keeps the bytes it streamed to the store, for finalize (`keep`/`kept`): the
  store acknowledged them (S3 checks the signed payload), and their sha256 is the one recorded;
- finalize keeps the bytes with their decoded first frame, for the analysis (`put`/`take`).

Only an optimisation: a finalize or a worker in another process, or one that comes after an
entry expired or was evicted, reads (and decodes) the blob itself, with the same results.
Entries are keyed by the file and the sha256 of its stored bytes, bounded in total size and in
age.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pichr.application.imaging.analysis import Deriving

MAX_BYTES = 64 * 1024 * 1024
TTL_SECONDS = 60.0
LARGEST = 16 * 1024 * 1024  # bigger files are verified from a spool, as without a worker here


@dataclass(frozen=True, slots=True)
class Handed:
    data: bytes
    step: Deriving | None  # None: the bytes the PUT stored, not decoded yet
    cost: int
    at: float


class Handoff:
    def __init__(self, max_bytes: int = MAX_BYTES, ttl: float = TTL_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[tuple[str, str], Handed] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def keep(self, file_id: str, sha256: str, data: bytes) -> None:
        """The bytes the direct PUT stored, for finalize in this process."""
        self.put(file_id, sha256, data, None)

    def kept(self, file_id: str, sha256: str) -> bytes | None:
        """The stored bytes a PUT in this process kept (then forgotten), else None. A decoded
        entry (finalize already ran) stays for the worker."""
        handed = self._pop((file_id, sha256), decoded=False)
        return handed.data if handed is not None else None

    def put(self, file_id: str, sha256: str, data: bytes, step: Deriving | None) -> None:
        cost = len(data) + (step.frame_bytes if step is not None else 0)
        if cost > self.max_bytes:
            return
        now = time.monotonic()
        with self._lock:
            self._drop((file_id, sha256))
            self._entries[(file_id, sha256)] = Handed(data, step, cost, now)
            self._used += cost
            while self._used > self.max_bytes or self._oldest_expired(now):
                self._drop(next(iter(self._entries)))

    def take(self, file_id: str, sha256: str) -> tuple[bytes, Deriving | None] | None:
        handed = self._pop((file_id, sha256))
        return (handed.data, handed.step) if handed is not None else None

    def _pop(self, key: tuple[str, str], decoded: bool | None = None) -> Handed | None:
        """The entry, forgotten; None when absent, expired, or not of the kind asked for."""
        with self._lock:
            handed = self._entries.get(key)
            if handed is None or decoded not in (None, handed.step is not None):
                return None
            self._drop(key)
        return handed if time.monotonic() - handed.at <= self.ttl else None

    def __len__(self) -> int:
        return len(self._entries)

    def _oldest_expired(self, now: float) -> bool:
        oldest = next(iter(self._entries.values()), None)
        return oldest is not None and now - oldest.at > self.ttl

    def _drop(self, key: tuple[str, str]) -> Handed | None:
        handed = self._entries.pop(key, None)
        if handed is not None:
            self._used -= handed.cost
        return handed
