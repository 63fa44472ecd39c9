"""Images finalize has just verified, kept a short while for an analysis worker in the same
process (`pichr serve`): it takes their bytes and their decoded first frame instead of reading
the blob again and decoding it a second time.

Only an optimisation: a worker in another process, or one that comes after an entry expired or
was evicted, reads and decodes the blob itself, and gets the same results. Entries are keyed by
the file and the sha256 of its stored bytes, bounded in total size and in age.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.analysis import Deriving

MAX_BYTES = 64 * 1024 * 1024
TTL_SECONDS = 60.0
LARGEST = 16 * 1024 * 1024  # bigger files are verified from a spool, as without a worker here


@dataclass(frozen=True, slots=True)
class Handed:
    data: bytes
    step: Deriving
    cost: int
    at: float


class Handoff:
    def __init__(self, max_bytes: int = MAX_BYTES, ttl: float = TTL_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[tuple[str, str], Handed] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def put(self, file_id: str, sha256: str, data: bytes, step: Deriving) -> None:
        cost = len(data) + step.frame_bytes
        if cost > self.max_bytes:
            return
        now = time.monotonic()
        with self._lock:
            self._drop((file_id, sha256))
            self._entries[(file_id, sha256)] = Handed(data, step, cost, now)
            self._used += cost
            while self._used > self.max_bytes or self._oldest_expired(now):
                self._drop(next(iter(self._entries)))

    def take(self, file_id: str, sha256: str) -> tuple[bytes, Deriving] | None:
        with self._lock:
            handed = self._drop((file_id, sha256))
        if handed is None or time.monotonic() - handed.at > self.ttl:
            return None
        return handed.data, handed.step

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
