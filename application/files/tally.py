"""Counts served views and downloads in memory and records them as one event per interval."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from pichr.application.store.app import PichrApplication
from pichr.domain.accounts import KeyUsage
from pichr.domain.tallies import ViewTally

log = logging.getLogger("pichr.tally")


class ViewCounter:
    def __init__(self, app: PichrApplication) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._views: Counter[str] = Counter()
        self._downloads: Counter[str] = Counter()

    def view(self, file_id: str) -> None:
        with self._lock:
            self._views[file_id] += 1

    def download(self, file_id: str) -> None:
        with self._lock:
            self._downloads[file_id] += 1

    def flush(self) -> int:
        """Record what was counted since the last flush; on failure keep it for the next one."""
        with self._lock:
            views, downloads = self._views, self._downloads
            self._views, self._downloads = Counter(), Counter()
        if not views and not downloads:
            return 0
        try:
            return self.app.commit(ViewTally(views=dict(views), downloads=dict(downloads)))
        except Exception:
            log.warning("could not record view counts; keeping them for the next flush")
            with self._lock:
                self._views.update(views)
                self._downloads.update(downloads)
            raise


class KeyUsageRecorder:
    """Remembers when each key was last used; records it as one event per flush."""

    def __init__(self, app: PichrApplication) -> None:
        self.app = app
        self._used: dict[str, float] = {}

    def touch(self, key_id: str) -> None:
        self._used[key_id] = time.time()  # a dict store: safe enough without a lock (GIL)

    def flush(self) -> int:
        used, self._used = self._used, {}
        if not used:
            return 0
        stamps = {k: datetime.fromtimestamp(t, UTC).isoformat() for k, t in used.items()}
        try:
            return self.app.commit(KeyUsage(used=stamps))
        except Exception:
            for key, when in used.items():
                self._used.setdefault(key, when)
            raise
