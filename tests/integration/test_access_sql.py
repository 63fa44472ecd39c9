"""The SQL that filters lists (projections/queries/access_sql.py) shows exactly the files the Python
decision (domain/access.py `listed`, itself equal to `check_file`) lets each caller see."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pichr.domain.access import FileFacts, listed
from pichr.domain.principal import NOBODY, Principal
from pichr.projections.queries.access_sql import gate_state_sql, listed_sql

pytestmark = pytest.mark.integration
THRESHOLD = 0.8
VIEWERS = [
    Principal("usr_owner", "key_o", frozenset({"read"})),
    Principal("usr_other", "key_x", frozenset({"read"})),
    NOBODY,
]
STATUSES = ["pending", "uploaded", "ready", "rejected", "deleted", "expired", "abandoned",
            "banned", "quarantined", "blocked"]  # fmt: skip
TABLE = (
    "CREATE TEMP TABLE f (id text PRIMARY KEY, owner_id text, status text, visibility text,"
    " expires_at timestamptz, analyzed_at timestamptz, analysis_error text,"
    " nsfw_score double precision, age_restricted boolean NOT NULL)"
)


def grid(now: datetime) -> list[FileFacts]:
    """Every combination of what the rule looks at."""
    values = itertools.product(
        [None, "usr_owner", "usr_other"],
        ["public", "unlisted", "private"],
        STATUSES,
        [None, now - timedelta(hours=1), now + timedelta(hours=1)],
        [False, True],
        [False, True],
        [None, 0.1, 0.8],
        [False, True],
    )
    return [FileFacts(f"file_{n}", *v) for n, v in enumerate(values)]


def insert(conn: psycopg.Connection[tuple[object, ...]], files: list[FileFacts]) -> None:
    conn.execute(TABLE)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO f VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (f.file_id, f.owner_id, f.status, f.visibility, f.expires_at,
                 datetime.now(UTC) if f.analyzed else None, "bad" if f.analysis_failed else None,
                 f.nsfw_score, f.age_restricted)
                for f in files
            ],
        )  # fmt: skip


def shown(
    conn: psycopg.Connection[tuple[object, ...]], where: str, who: Principal, adult: bool
) -> set[str]:
    args = {"me": who.account_id, "adult": adult, "threshold": THRESHOLD}
    return {str(r[0]) for r in conn.execute(f"SELECT id FROM f WHERE {where}", args)}


def test_the_list_sql_and_the_python_decision_agree_on_every_case(database_url: str) -> None:
    now = datetime.now(UTC)
    files = grid(now)
    with psycopg.connect(database_url) as conn:
        insert(conn, files)
        for who, adult in itertools.product(VIEWERS, [False, True]):
            expected = {
                f.file_id
                for f in files
                if listed(f, who, now=now, adult=adult, threshold=THRESHOLD)
            }
            assert expected, "the grid must show something to every viewer"
            assert shown(conn, listed_sql("f"), who, adult) == expected, (who, adult)
            both = f"{listed_sql('f')} AND {gate_state_sql('f', 'f')}"
            assert shown(conn, both, who, adult) == expected, (who, adult)
