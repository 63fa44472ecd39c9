"""Cells of the scope matrix that today's main gets wrong, each for a known reason. They are
marked xfail(strict=True): when a fix lands the cell passes, strict turns that into a failure,
and whoever fixed it deletes the rule here. Nothing else may fail.

Each predicate says what today's server does instead of the access model, in the model's own
terms (what the caller would get if a check were skipped), so it marks exactly the cells that
differ and no others.
"""

from __future__ import annotations

from tests.integration.scope_calls import Cell
from tests.integration.scope_rules import FILE_ID, READ, WRITE, A, outcome

HOLE_A = "hole (a): fixed by the access decision (X-Delete-Token skips the write scope check)"
HOLE_B = "hole (b): fixed by the access decision (/i, /t, download never check read)"
HOLE_B_PAGES = "hole (b) on pages: fixed by the access decision (/f, /a never check read)"
HOLE_C = "hole (c): fixed by the access decision (any key turns safe mode off)"
OWNER_FIRST = (
    "lead: a stranger changing a deleted or withheld file gets 403, not 410/451"
    " (application/files.py checks the owner before the lifecycle)"
)
FILES_FIRST = (
    "lead: adding files to another account's private or deleted album gets 403, not 404/410"
    " (application/albums.py checks the files before the album)"
)
FILE = f"{A}/files/{FILE_ID}"
BYTES = (f"{FILE}/download", f"/i/{FILE_ID}", f"/t/{FILE_ID}")
PAGES = (f"/f/{FILE_ID}", "/a/{album_id:str}")
SAFE_MODE = (FILE, *BYTES)  # the routes that read X-Safe-Mode (the file page never does)


def _unscoped(cell: Cell) -> int | None:
    """What the caller gets today when the route skips the scope check."""
    if cell.state == "restricted+safe-off" and cell.path in SAFE_MODE:
        return cell.rule.ok  # hole (c): the header works for any key
    return outcome(cell.rule, cell.caller, cell.state)


def _skips_scope(cell: Cell) -> str | None:
    keyed = cell.caller.account is not None
    if keyed and cell.method == "DELETE" and cell.path == FILE and "token" in cell.state:
        return HOLE_A if not cell.caller.has(WRITE) else None
    if keyed and cell.method != "OPTIONS" and not cell.caller.has(READ):
        return HOLE_B if cell.path in BYTES else HOLE_B_PAGES if cell.path in PAGES else None
    return None


def known_hole(cell: Cell, status: int) -> str | None:
    """Why today's server answers this cell otherwise than `status`, or None."""
    skipped = _skips_scope(cell)
    if skipped is not None and _unscoped(cell) != status:
        both = cell.state == "restricted+safe-off" and cell.path in SAFE_MODE
        return f"{skipped}; {HOLE_C}" if both else skipped
    if skipped is not None:
        return None
    keyed_other = cell.caller.account == "other" and cell.caller.has(WRITE)
    if cell.method == "GET" and cell.path in SAFE_MODE and cell.caller.account is not None:
        return HOLE_C if cell.state == "restricted+safe-off" and cell.caller.has(READ) else None
    if keyed_other and cell.path == FILE and cell.state in ("deleted", "quarantined"):
        return OWNER_FIRST
    if keyed_other and cell.path == f"{A}/albums/{{album_id:str}}/files":
        return FILES_FIRST if cell.state in ("private", "deleted") else None
    return None
