"""What the album routes and pages need, built once per process (scripts/compose.py)."""

from __future__ import annotations

from dataclasses import dataclass

from pichr.application.albums.commands import AlbumCommands
from pichr.application.albums.passwords import GuessLimiter, PasswordChecker
from pichr.projections.queries.album_cache import AlbumCache
from pichr.projections.queries.albums import AlbumReads


@dataclass
class AlbumServices:
    commands: AlbumCommands
    reads: AlbumReads
    cache: AlbumCache  # a follower of the position waiter
    passwords: PasswordChecker
    guesses: GuessLimiter  # per album and client; shared by every API process with Redis
    album_guesses: GuessLimiter  # per album, from every client together: a distributed ceiling
    web_base: str  # album and file pages: {web_base}/a/{id}, {web_base}/f/{id}

    def page_url(self, album_id: str) -> str:
        return f"{self.web_base}/a/{album_id}"
