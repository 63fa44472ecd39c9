"""A cursor that records the statements a projection runs, for the folds that write through
SQL per event (auth, usage, reports, blocklist): the unit tier checks which statement each
event leads to and with which values; what PostgreSQL makes of them is the integration tier's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_TARGET = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM)\s+(\w+)", re.S)


@dataclass(frozen=True)
class Statement:
    verb: str  # INSERT, UPDATE, DELETE, SELECT
    table: str
    params: Any


def _statement(sql: str, params: Any) -> Statement:
    found = _TARGET.match(sql)
    assert found is not None, f"not a statement this cursor knows: {sql!r}"
    return Statement(found.group(1).split()[0], found.group(2), params)


@dataclass
class RecordingCursor:
    answers: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # SELECT by table
    statements: list[Statement] = field(default_factory=list)
    _rows: list[tuple[Any, ...]] = field(default_factory=list)

    def execute(self, sql: str, params: Sequence[Any] | None = None, **_: Any) -> None:
        statement = _statement(sql, tuple(params) if params is not None else None)
        self.statements.append(statement)
        self._rows = (
            list(self.answers.get(statement.table, [])) if statement.verb == "SELECT" else []
        )

    def executemany(self, sql: str, params_seq: Iterable[Sequence[Any]], **_: Any) -> None:
        for params in params_seq:
            self.statements.append(_statement(sql, tuple(params)))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows
