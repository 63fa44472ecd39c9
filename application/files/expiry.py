"""Records FileExpired for files whose expiry has passed.

The API already answers 410 from `expires_at` the moment it passes; this sweep puts the fact
in the log, so the history and the read models say so too.
"""

from __future__ import annotations

import logging
import threading

import psycopg

from pichr.application.files.commands import FileCommands
from pichr.application.store.app import PichrApplication
from pichr.domain.errors import DomainError

log = logging.getLogger("pichr.expiry")
DUE = (
    "SELECT id FROM file_listing WHERE status = 'ready' AND expires_at <= now()"
    " ORDER BY expires_at LIMIT %s"
)


def expire_due(database_url: str, commands: FileCommands, limit: int = 500) -> int:
    with psycopg.connect(database_url) as conn:
        due = [row[0] for row in conn.execute(DUE, (limit,)).fetchall()]
    expired = 0
    for file_id in due:
        try:
            if commands.expire(file_id):
                expired += 1
        except DomainError as exc:  # already deleted, or changed meanwhile
            log.info("not expiring %s: %s", file_id, exc.message)
    return expired


class ExpirySweeper:
    def __init__(self, database_url: str, app: PichrApplication, interval: float = 30.0) -> None:
        self.database_url = database_url
        self.commands = FileCommands(app)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                expire_due(self.database_url, self.commands)
            except (psycopg.Error, DomainError, OSError) as exc:
                log.warning("expiry sweep failed: %s", exc)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="expiry-sweeper", daemon=True)
        thread.start()
        return thread
