"""The database side of a backup: every table the log cannot rebuild, from one snapshot.

Kept: every table of the schema that is no projection's read model (the event log, the
snapshots, reporter contacts, dead jobs, and whatever table a later change adds outside the
projections), and the tracking rows of followers that are not projections (the job
dispatcher's). Each table travels as its DDL (rebuilt from the catalog) and COPY text, which
any later PostgreSQL major version loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any, Protocol

import msgspec
from psycopg import Connection

from pichr.projections.log.replay import NEXT
from pichr.projections.views.registry import all_projections

TRACKING = "projection_tracking"
_NEXTVAL = re.compile(r"nextval\('([^']+)'::regclass\)")


class Writable(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


class TableSchema(msgspec.Struct, rename="camel"):
    name: str
    create: str  # CREATE TABLE IF NOT EXISTS ... with its columns and non-foreign constraints
    indexes: list[str]  # CREATE [UNIQUE] INDEX IF NOT EXISTS ...
    foreign: list[str]  # ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY, after every load
    sequences: dict[str, str]  # sequence -> column it numbers (set past the loaded rows)
    rows: int = 0


def projection_tables() -> set[str]:
    tables = {t for p in all_projections() for t in p.tables}
    return tables | {t + NEXT for t in tables} | {TRACKING}


def kept_tables(conn: Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    ).fetchall()
    skip = projection_tables()
    return [r[0] for r in rows if r[0] not in skip]


def followers(conn: Connection[Any]) -> list[tuple[str, int]]:
    """Tracking rows of followers that are not projections (their position is not rebuilt)."""
    names = {p.name for p in all_projections()}
    rows = conn.execute(f"SELECT name, position FROM {TRACKING} ORDER BY name").fetchall()
    return [(n, int(p)) for n, p in rows if n not in names and not n.endswith(NEXT)]


def table_schema(conn: Connection[Any], table: str) -> TableSchema:
    columns = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY a.attnum",
        (table,),
    ).fetchall()
    constraints = conn.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass ORDER BY conname",
        (table,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        " ORDER BY 1",
        (table,),
    ).fetchall()
    parts, sequences = [], {}
    for name, kind, not_null, default in columns:
        parts.append(
            f'"{name}" {kind}'
            + (" NOT NULL" if not_null else "")
            + (f" DEFAULT {default}" if default else "")
        )
        if default and (match := _NEXTVAL.search(default)):
            sequences[match.group(1)] = name
    parts += [f'CONSTRAINT "{n}" {d}' for n, kind, d in constraints if kind != "f"]
    return TableSchema(
        name=table,
        create=f'CREATE TABLE IF NOT EXISTS "{table}" ({", ".join(parts)})',
        indexes=[
            re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", i[0])
            for i in indexes
        ],
        foreign=[
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{n}" {d}'
            for n, kind, d in constraints
            if kind == "f"
        ],
        sequences=sequences,
    )


def _if_not_exists(index: str) -> str:
    return re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", index)


def copy_out(conn: Connection[Any], table: str, out: Writable) -> int:
    """The table's rows as COPY text into `out`; the number of rows (one line each: COPY text
    escapes the newlines inside values)."""
    rows, pending = 0, bytearray()
    with conn.cursor() as cur, cur.copy(f'COPY "{table}" TO STDOUT') as copy:
        for chunk in copy:  # a row per chunk: write them in larger pieces
            pending += chunk
            if len(pending) >= 1 << 20:
                rows += pending.count(b"\n")
                out.write(pending)
                pending.clear()
    rows += pending.count(b"\n")
    out.write(pending)
    return rows


def copy_in(conn: Connection[Any], schema: TableSchema, data: IO[bytes]) -> None:
    for sequence in schema.sequences:
        conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence}")
    conn.execute(schema.create)
    with conn.cursor() as cur, cur.copy(f'COPY "{schema.name}" FROM STDIN') as copy:
        while chunk := data.read(1 << 20):
            copy.write(chunk)
    for index in schema.indexes:
        conn.execute(index)
    for sequence, column in schema.sequences.items():
        conn.execute(
            f'SELECT setval(%s, coalesce(max("{column}"), 1), max("{column}") IS NOT NULL)'
            f' FROM "{schema.name}"',
            (sequence,),
        )


def non_empty(conn: Connection[Any], tables: Iterator[str] | list[str]) -> list[str]:
    """Which of `tables` exist and hold a row (a restore needs an empty target)."""
    found = []
    for table in tables:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{table}"',)).fetchone()
        if exists and exists[0] and conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
            found.append(table)
    return found
