"""Counts served views and downloads in memory and records them as one event per interval."""

from __future__ import annotations

import logging
import threading
from collections import Counter

from application.app import PichrApplication
from domain.tallies import ViewTally

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
