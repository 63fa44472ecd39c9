"""The SQL twin of domain/access.py `listed`: the condition under which a list (an album's
files) shows a file-listing row to a caller, built from the same constants. It is tested
against the same cases as the Python decision (tests/integration/test_access_sql.py).

Parameters it binds: `me` (the caller's account id, or NULL), `adult` (safe mode off),
`threshold` (the NSFW threshold).
"""

from __future__ import annotations

from pichr.domain.access import OTHERS_SEE, OWNER_SEES, PRIVATE


def _statuses(names: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{n}'" for n in names) + "]"


def _owned(alias: str) -> str:
    return f"coalesce({alias}.owner_id = %(me)s, false)"


def listed_sql(alias: str) -> str:
    """A file-listing row (`alias`: the table's alias) shown to the caller."""
    f = alias
    published = (
        f"{f}.status = ANY({_statuses(OTHERS_SEE)}) AND {f}.visibility <> '{PRIVATE}'"
        f" AND {f}.analyzed_at IS NOT NULL AND {f}.analysis_error IS NULL"
    )
    restricted = f"(coalesce({f}.nsfw_score >= %(threshold)s, false) OR {f}.age_restricted)"
    return (
        f"(CASE WHEN {_owned(f)} THEN {f}.status = ANY({_statuses(OWNER_SEES)})"
        f" ELSE {published} END)"
        f" AND ({f}.expires_at IS NULL OR {f}.expires_at > now())"
        f" AND (%(adult)s OR NOT {restricted})"
    )


def gate_state_sql(alias: str, owner_alias: str) -> str:
    """The same rule over a copy of a file's gate state (status, visibility, expiry) that
    another read model keeps (the albums' `album_file_state`), whose owner is `owner_alias`'s:
    whichever read model learns first of a deletion, expiry, ban or privacy change hides it."""
    s = alias
    return (
        f"(CASE WHEN {_owned(owner_alias)} THEN {s}.status = ANY({_statuses(OWNER_SEES)})"
        f" ELSE {s}.status = ANY({_statuses(OTHERS_SEE)}) AND {s}.visibility <> '{PRIVATE}' END)"
        f" AND ({s}.expires_at IS NULL OR {s}.expires_at > now())"
    )
