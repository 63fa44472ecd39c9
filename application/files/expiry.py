"""Records FileExpired for files whose expiry has passed.

The API already answers 410 from `expires_at` the moment it passes; this sweep puts the fact
in the log, so the history and the read models say so too. The candidates come from the file
listing, asked through ExpiringFiles (answered by projections/queries/for_commands.py); whether
a file expires is decided on its aggregate.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import psycopg

from pichr.application.files.commands import FileCommands
from pichr.application.store.app import PichrApplication
from pichr.domain.errors import DomainError

log = logging.getLogger("pichr.expiry")


class ExpiringFiles(Protocol):
    def due_to_expire(self, limit: int) -> list[str]:
        """Up to `limit` ready files whose expiry has passed, the longest expired first."""
        ...


def expire_due(files: ExpiringFiles, commands: FileCommands, limit: int = 500) -> int:
    due = files.due_to_expire(limit)
    expired = 0
    for file_id in due:
        try:
            if commands.expire(file_id):
                expired += 1
        except DomainError as exc:  # already deleted, or changed meanwhile
            log.info("not expiring %s: %s", file_id, exc.message)
    return expired


class ExpirySweeper:
    def __init__(self, files: ExpiringFiles, app: PichrApplication, interval: float = 30.0) -> None:
        self.files = files
        self.commands = FileCommands(app)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                expire_due(self.files, self.commands)
            except (psycopg.Error, DomainError, OSError) as exc:
                log.warning("expiry sweep failed: %s", exc)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="expiry-sweeper", daemon=True)
        thread.start()
        return thread
