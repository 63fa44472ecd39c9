"""What a projection is: tables it owns, and a fold of a batch of events into them."""

from __future__ import annotations

from typing import Any, Protocol

from psycopg import Cursor

from pichr.projections.log.events import LoggedEvent


class Projection(Protocol):
    name: str
    tables: tuple[str, ...]  # base names; a rebuild writes them with a suffix beside the live ones

    def create_sql(self, suffix: str) -> list[str]:
        """DDL for every table and index, all named with `suffix` after the base name."""
        ...

    def apply(self, cur: Cursor[Any], events: list[LoggedEvent], suffix: str) -> None:
        """Fold the batch; idempotent per event; unknown topics are ignored."""
        ...

    def checksum_sql(self, suffix: str) -> list[str]:
        """Queries returning one text value each, equal for equal table contents."""
        ...


CHANNEL = "pichr_projections"
