"""Writing a batch's rows: a plain upsert for a few, COPY through a staging table for many
(a rebuild writes thousands per batch; row-by-row upserts were half of its time)."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

Row = dict[str, Any]
COPY_FROM = 50  # rows; fewer go through executemany


def upsert(
    cur: Cursor[Any], table: str, columns: tuple[str, ...], key: str | tuple[str, ...],
    rows: list[Row],
) -> None:  # fmt: skip
    """Insert `rows` (at most one per key), replacing the other columns of rows present."""
    if not rows:
        return
    keys = (key,) if isinstance(key, str) else key
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    if len(rows) < COPY_FROM:
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}",
            [tuple(row[c] for c in columns) for row in rows],
        )
        return
    stage = f"{table}_stage"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS")
    with cur.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}")
    cur.execute(f"TRUNCATE {stage}")
