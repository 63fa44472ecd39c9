"""The HTTP side of the access decision (domain/access.py, which holds every rule): facts from
read-model rows, safe mode from its header, and the cache headers of what was allowed."""

from __future__ import annotations

from datetime import UTC, datetime

from pichr.domain.access import FileFacts, adult, check_file, require_read, restricted
from pichr.domain.errors import NotFoundError
from pichr.domain.principal import Principal
from pichr.projections.queries.facts import file_facts
from pichr.projections.queries.rows import AlbumRow, FileRow

PUBLIC_BYTES = "public, max-age=86400"
PRIVATE_BYTES = "private, max-age=0, must-revalidate"
PRIVATE_RECORD = "private, no-cache"
VARY = "Authorization"


def asked_off(header: str | None) -> bool:
    """`X-Safe-Mode: off` (honoured only when the caller's account allows it)."""
    return (header or "").strip().lower() == "off"


def see_file(
    row: FileRow | None,
    who: Principal,
    *,
    file_id: str,
    safe_mode: str | None,
    threshold: float,
    serving_bytes: bool = False,
) -> FileRow:
    """The row when the caller may see the file (its record, or with `serving_bytes` its
    bytes); raises the decision's domain error otherwise. Keys need `read` for both."""
    require_read(who)
    if row is None:
        raise NotFoundError("No such file.", id=file_id)
    check_file(
        file_facts(row),
        who,
        now=datetime.now(UTC),
        adult=adult(who, asked_off=asked_off(safe_mode)),
        threshold=threshold,
        serving_bytes=serving_bytes,
    )
    return row


def shared(facts: FileFacts, threshold: float) -> bool:
    """The same for every caller who may see it, so a cache may keep it: published, not
    private, not age-restricted (whose answer depends on the caller's safe mode)."""
    published = facts.status == "ready" and facts.analyzed
    return published and facts.visibility != "private" and not restricted(facts, threshold)


def bytes_headers(row: FileRow, threshold: float) -> dict[str, str]:
    if shared(file_facts(row), threshold):
        return {"Cache-Control": PUBLIC_BYTES}
    return {"Cache-Control": PRIVATE_BYTES, "Vary": VARY}


def record_headers(row: FileRow, threshold: float) -> dict[str, str] | None:
    """None for a shared record: a request with a key is never answered from a shared cache
    (RFC 9111 3.5), and one without sees what everyone sees."""
    if shared(file_facts(row), threshold):
        return None
    return {"Cache-Control": PRIVATE_RECORD, "Vary": VARY}


def album_cache_headers(
    row: AlbumRow, vary: str = "Authorization, X-Album-Password"
) -> dict[str, str]:
    """A private or password-protected album is the caller's alone; a public one may still
    differ by caller (the owner sees pending files, safe mode hides some): never shared."""
    if row.visibility == "private" or row.password_hash is not None:
        return {"Cache-Control": PRIVATE_RECORD, "Vary": vary}
    return {"Vary": vary}
