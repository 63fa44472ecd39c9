"""Who may do what to a file: one pure decision over typed facts, raising domain errors.

Scopes, ownership, visibility, lifecycle, moderation holds and safe mode are decided here and
nowhere else: the API's routes, the served bytes and pages, and the commands call these
functions; the SQL that filters lists and albums is built from the same constants
(projections/queries/access_sql.py) and tested against the same cases (`listed` is its Python twin).
Album rules live beside it in domain/album_access.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pichr.domain.errors import (
    ForbiddenError,
    GoneError,
    LegalHoldError,
    NotFoundError,
    NotReadyError,
    RestrictedError,
    UnauthenticatedError,
)
from pichr.domain.principal import Principal

# Lifecycle statuses, as the file listing names them.
GONE = ("deleted", "expired", "abandoned", "banned")  # 410
WITHHELD = ("quarantined", "blocked")  # 451, to everyone
OWNER_SEES = ("pending", "uploaded", "ready")  # a file's record, while it lives
OTHERS_SEE = ("ready",)
PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the decision needs to know of a file (from a read-model row or the aggregate)."""

    file_id: str
    owner_id: str | None
    visibility: str
    status: str
    expires_at: datetime | None = None
    analyzed: bool = False  # the worker's analysis is recorded (the served rendition exists)
    analysis_failed: bool = False
    nsfw_score: float | None = None
    age_restricted: bool = False  # by a moderator, whatever the score


def require_scope(who: Principal, scope: str) -> None:
    """Anonymous callers: 401 where a key is needed; keys without the scope: 403."""
    if who.is_anonymous:
        raise UnauthenticatedError("This route needs an API key.", scope=scope)
    if scope not in who.scopes and "admin" not in who.scopes:
        raise ForbiddenError(f"The API key lacks the '{scope}' scope.", scope=scope)


def require_read(who: Principal) -> None:
    """Routes open to anonymous callers still need `read` from a key (bytes included)."""
    if not who.is_anonymous:
        require_scope(who, "read")


def is_owner(owner_id: str | None, who: Principal) -> bool:
    return owner_id is not None and owner_id == who.account_id


def adult(who: Principal, *, asked_off: bool) -> bool:
    """Safe mode is off only when asked for by a key whose account allows it."""
    return asked_off and not who.is_anonymous and who.safe_mode_optional


def restricted(facts: FileFacts, threshold: float) -> bool:
    """By the score, or by a moderator's decision whatever the score."""
    score = facts.nsfw_score
    return (score is not None and score >= threshold) or facts.age_restricted


def expired(facts: FileFacts, now: datetime) -> bool:
    return facts.expires_at is not None and facts.expires_at <= now


def check_withheld(facts: FileFacts) -> None:
    """451 for quarantined or blocklist-blocked files (the owner too); 410 once banned."""
    if facts.status in WITHHELD:
        raise LegalHoldError("The file is withheld for legal reasons.", id=facts.file_id)
    if facts.status == "banned":
        raise GoneError("The file was removed by a moderator.", id=facts.file_id)


def check_file(
    facts: FileFacts,
    who: Principal,
    *,
    now: datetime,
    adult: bool,
    threshold: float,
    serving_bytes: bool = False,
) -> None:
    """Whether the caller may see the file (its record, or its bytes): else 404 (private
    existence never leaks), 451, 410 or 403 (safe mode). Bytes exist only once the worker's
    analysis is recorded: before that even the owner gets 404 for them."""
    owner = is_owner(facts.owner_id, who)
    if facts.visibility == PRIVATE and not owner:
        raise NotFoundError("No such file.", id=facts.file_id)
    check_withheld(facts)
    if facts.status in GONE or expired(facts, now):
        raise GoneError("The file was deleted or has expired.", id=facts.file_id)
    if facts.status not in (OWNER_SEES if owner else OTHERS_SEE):
        raise NotFoundError("No such file.", id=facts.file_id)
    if facts.status != "ready" or not facts.analyzed or facts.analysis_failed:
        _unpublished(facts, owner=owner, serving_bytes=serving_bytes)
    if restricted(facts, threshold) and not adult:
        raise RestrictedError(
            "Content restricted by safe mode.", id=facts.file_id, ageRestricted=True
        )


def _unpublished(facts: FileFacts, *, owner: bool, serving_bytes: bool) -> None:
    """Before the analysis the NSFW score is unknown and the only bytes are the original
    (never served): the owner sees the record, nobody gets bytes."""
    if not owner or (serving_bytes and facts.status != "ready"):
        raise NotFoundError("No such file.", id=facts.file_id)
    if not serving_bytes:
        return
    if facts.analysis_failed:
        raise NotReadyError("The image could not be processed.", processing=False, id=facts.file_id)
    raise NotReadyError("The image is still being processed.", processing=True, id=facts.file_id)


def listed(
    facts: FileFacts, who: Principal, *, now: datetime, adult: bool, threshold: float
) -> bool:
    """Whether a list (an album's files) shows the file to the caller: exactly when
    `check_file` lets them see its record. The SQL twin: projections/queries/access_sql.py."""
    owner = is_owner(facts.owner_id, who)
    if facts.status not in (OWNER_SEES if owner else OTHERS_SEE) or expired(facts, now):
        return False
    published = facts.status == "ready" and facts.analyzed and not facts.analysis_failed
    if not owner and (facts.visibility == PRIVATE or not published):
        return False
    return adult or not restricted(facts, threshold)


def check_change(facts: FileFacts, who: Principal) -> None:
    """Only the owner changes or deletes a file: others get 404 for what they cannot see,
    451/410 for a file that is held or ended (as everywhere), else 403."""
    owner = is_owner(facts.owner_id, who)
    if facts.visibility == PRIVATE and not owner:
        raise NotFoundError("No such file.", id=facts.file_id)
    check_withheld(facts)
    if facts.status in GONE:
        raise GoneError("The file was deleted or has expired.", id=facts.file_id)
    if owner:
        return
    if facts.status not in OTHERS_SEE:
        raise NotFoundError("No such file.", id=facts.file_id)
    raise ForbiddenError("Only the file's owner may change it.", id=facts.file_id)


def check_hotlink(policy: str, whitelist: list[str], referer_host: str | None, own: str) -> None:
    """The served bytes' hotlink policy: a foreign Referer is refused unless allowed."""
    if policy == "allow" or not referer_host or referer_host == own:
        return
    if policy == "whitelist" and referer_host in whitelist:
        return
    raise ForbiddenError("Hotlinking this image is not allowed.", policy=policy)


def check_reportable(facts: FileFacts, *, published: bool) -> None:
    """Anyone may report a published file they could have seen (held ones too: reports on a
    quarantined file add up, a report on a removed one is its owner's appeal); 404 otherwise,
    410 when deleted or expired."""
    if facts.visibility == PRIVATE or not published or facts.status == "blocked":
        raise NotFoundError("No such file.", id=facts.file_id)
    if facts.status in ("deleted", "expired"):
        raise GoneError("The file was deleted or has expired.", id=facts.file_id)


def require_delete(who: Principal, *, token: bool) -> None:
    """A key always needs `write` to delete (a delete token or not); without a key, only an
    anonymous upload's delete token may."""
    if not who.is_anonymous or not token:
        require_scope(who, "write")


def check_delete(facts: FileFacts, who: Principal, *, token_ok: bool) -> None:
    """The right delete token deletes its anonymous upload; otherwise the owner rule."""
    if not token_ok:
        check_change(facts, who)


def check_uploader(facts: FileFacts, who: Principal, *, proof: bool) -> None:
    """Only the uploader PUTs and finalizes: the owning account; for an anonymous upload,
    whoever shows its proof (the upload token for the PUT, the upload id for finalize).
    Everyone else gets 404."""
    allowed = is_owner(facts.owner_id, who) if facts.owner_id is not None else proof
    if not allowed:
        raise NotFoundError("No such file.", id=facts.file_id)
