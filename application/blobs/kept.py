"""What a HandingOff store (blobs/handoff.py) holds: blobs by key, each with what a reader made
of it, bounded in total size and in age (the oldest go first)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_BYTES = 64 * 1024 * 1024
TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Kept:
    data: bytes
    made: object | None  # what a reader made of the bytes (finalize: their decode), or None
    cost: int
    at: float


class KeptBlobs:
    def __init__(self, max_bytes: int = MAX_BYTES, ttl: float = TTL_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[str, Kept] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, made: object | None = None, extra: int = 0) -> None:
        """Keep `data` (and `made`, which costs `extra` bytes) in place of what `key` held."""
        cost = len(data) + extra
        now = time.monotonic()
        with self._lock:
            self._drop(key)
            if cost > self.max_bytes:
                return
            self._entries[key] = Kept(data, made, cost, now)
            self._used += cost
            while self._used > self.max_bytes or self._oldest_expired(now):
                self._drop(next(iter(self._entries)))

    def get(self, key: str) -> Kept | None:
        """The entry, unless absent or expired."""
        with self._lock:
            kept = self._entries.get(key)
        return kept if kept is not None and time.monotonic() - kept.at <= self.ttl else None

    def pop(self, key: str) -> Kept | None:
        """The entry (unless absent or expired), forgotten."""
        with self._lock:
            kept = self._entries.get(key)
            self._drop(key)
        return kept if kept is not None and time.monotonic() - kept.at <= self.ttl else None

    def drop(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def __len__(self) -> int:
        return len(self._entries)

    def _oldest_expired(self, now: float) -> bool:
        oldest = next(iter(self._entries.values()), None)
        return oldest is not None and now - oldest.at > self.ttl

    def _drop(self, key: str) -> None:
        kept = self._entries.pop(key, None)
        if kept is not None:
            self._used -= kept.cost
