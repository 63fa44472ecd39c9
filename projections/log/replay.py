"""Rebuild a projection from the whole log beside the live tables, then swap atomically."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import psycopg
from psycopg import Connection

from pichr.projections.log.reader import ensure_tracking
from pichr.projections.log.runner import (
    catch_up,
    create_indexes,
    ensure_schema,
    process_batch,
    schema_hash,
)
from pichr.projections.views.base import Projection
from pichr.projections.views.registry import all_projections

NEXT = "__next"
LOCK = "pichr-rebuild:"
REPLAY_BATCH = 5000


def checksums(conn: Connection[Any], projection: Projection, suffix: str = "") -> list[str]:
    sums = []
    for sql in projection.checksum_sql(suffix):
        row = conn.execute(sql).fetchone()
        sums.append(str(row[0]) if row else "")
    return sums


def rebuild(
    database_url: str,
    projection: Projection,
    progress: Callable[[int], None] | None = None,
    *,
    only_if_stale: bool = False,
) -> int:
    """Fold the whole log into fresh tables while the live ones keep serving; then switch.

    One rebuild of a projection at a time (a session lock): processes starting together
    after an upgrade wait for the first one's rebuild instead of racing it. With
    `only_if_stale`, nothing happens when the tables already have the current shape.
    Returns the log position the new tables reached (the events they cover).
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK + projection.name,))
        built_with = ensure_tracking(conn, projection.name, schema_hash(projection))
        if only_if_stale and built_with == schema_hash(projection):
            ensure_schema(conn, projection)
            return 0
        _drop(conn, projection, NEXT)
        ensure_schema(conn, projection, NEXT, indexes=False)
        # Tables nobody reads yet: their batches need not wait for the disk (a crash only
        # loses the unfinished rebuild). The switch below commits durably again.
        conn.execute("SET synchronous_commit = off")
        while True:
            count, reached = process_batch(conn, projection, REPLAY_BATCH, NEXT)
            if progress:
                progress(reached)
            if count < REPLAY_BATCH:  # a short batch reached the head of the log
                break
        create_indexes(conn, projection, NEXT)
        conn.execute("RESET synchronous_commit")
        return _switch(conn, projection)


def _switch(conn: Connection[Any], projection: Projection) -> int:
    """Under the live tracking lock: fold the last events, then swap tables and positions."""
    with conn.transaction():
        conn.execute(
            "SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE",
            (projection.name,),
        )
        catch_up(conn, projection, REPLAY_BATCH, NEXT)
        row = conn.execute(
            "SELECT position FROM projection_tracking WHERE name = %s", (projection.name + NEXT,)
        ).fetchone()
        reached = int(row[0]) if row else 0
        indexes = _index_names(conn, projection)
        for table in projection.tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"ALTER TABLE {table}{NEXT} RENAME TO {table}")
        for index in indexes:
            conn.execute(f"ALTER INDEX {index} RENAME TO {index.replace(NEXT, '')}")
        conn.execute(
            "UPDATE projection_tracking SET schema = %s, position = (SELECT position"
            " FROM projection_tracking WHERE name = %s) WHERE name = %s",
            (schema_hash(projection), projection.name + NEXT, projection.name),
        )
        conn.execute("DELETE FROM projection_tracking WHERE name = %s", (projection.name + NEXT,))
    return reached


def _index_names(conn: Connection[Any], projection: Projection) -> list[str]:
    rows = conn.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) AND indexname LIKE %s",
        ([t + NEXT for t in projection.tables], f"%{NEXT}%"),
    ).fetchall()
    return [r[0] for r in rows]


def _drop(conn: Connection[Any], projection: Projection, suffix: str) -> None:
    with conn.transaction():
        for table in projection.tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}{suffix}")
        conn.execute("DELETE FROM projection_tracking WHERE name = %s", (projection.name + suffix,))


def _rebuild_named(database_url: str, name: str) -> int:
    [projection] = [p for p in all_projections() if p.name == name]
    return rebuild(database_url, projection)


def rebuild_all(database_url: str, names: list[str], workers: int = 2) -> Iterator[tuple[str, int]]:
    """Rebuild several read models at once, one process each (they share nothing but the log):
    (name, position reached) as each one switches. The largest start first, so the small ones
    fill in beside them instead of leaving one process alone with the last big one."""
    context = multiprocessing.get_context("spawn")  # no threads or connections inherited
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(names))), mp_context=context
    ) as pool:
        futures = {
            pool.submit(_rebuild_named, database_url, name): name
            for name in largest_first(database_url, names)
        }
        for done in as_completed(futures):
            yield futures[done], done.result()


def largest_first(database_url: str, names: list[str]) -> list[str]:
    """`names` by the size of their live tables, largest first (ties keep their order)."""
    tables = {p.name: list(p.tables) for p in all_projections()}
    with psycopg.connect(database_url, autocommit=True) as conn:
        sizes = {name: _size(conn, tables.get(name, [])) for name in names}
    return sorted(names, key=lambda name: -sizes[name])


def _size(conn: Connection[Any], tables: list[str]) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0) FROM unnest(%s::text[]) t",
        (tables,),
    ).fetchone()
    return int(row[0]) if row else 0
