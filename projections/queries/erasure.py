"""What an account owns, from the read models: application/privacy/erase.py's AccountContents."""

from __future__ import annotations

import psycopg

FILES = "SELECT id FROM file_listing WHERE owner_id = %s ORDER BY id"
ALBUMS = "SELECT id FROM album_list WHERE owner_id = %s ORDER BY id"
KEYS = "SELECT id FROM api_keys WHERE account_id = %s ORDER BY id"


class AccountContentsRows:
    """The account's files, albums and keys, every status (deleted ones too: their events
    hold personal data as well), on a connection of its own per question."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def files(self, account_id: str) -> list[str]:
        return self._ids(FILES, account_id)

    def albums(self, account_id: str) -> list[str]:
        return self._ids(ALBUMS, account_id)

    def keys(self, account_id: str) -> list[str]:
        return self._ids(KEYS, account_id)

    def _ids(self, sql: str, account_id: str) -> list[str]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return [str(row[0]) for row in conn.execute(sql, (account_id,)).fetchall()]
