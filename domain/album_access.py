"""Who may open or change an album: visibility and deletion (the password check, which needs
a throttle, is the API's: api/album_access.py). The files an album shows follow the file rule
(domain/access.py `listed`, and its SQL twin)."""

from __future__ import annotations

from dataclasses import dataclass

from pichr.domain.access import PRIVATE, is_owner
from pichr.domain.errors import ForbiddenError, GoneError, NotFoundError
from pichr.domain.principal import Principal


@dataclass(frozen=True, slots=True)
class AlbumFacts:
    album_id: str
    owner_id: str
    visibility: str
    live: bool
    password_protected: bool = False


def check_album(facts: AlbumFacts, who: Principal) -> bool:
    """Whether the caller owns the album they may open; 404 for a private album of another
    (existence never leaks), 410 once deleted."""
    owner = is_owner(facts.owner_id, who)
    if facts.visibility == PRIVATE and not owner:
        raise NotFoundError("No such album.", id=facts.album_id)
    if not facts.live:
        raise GoneError("The album was deleted.", id=facts.album_id)
    return owner


def needs_password(facts: AlbumFacts, *, owner: bool) -> bool:
    """Everyone but the owner (who is never locked out of their own album) must unlock it."""
    return facts.password_protected and not owner


def check_album_change(facts: AlbumFacts, who: Principal) -> None:
    """Owners change their albums; others get 404 for what they cannot see, 410, else 403."""
    if check_album(facts, who):
        return
    raise ForbiddenError("Only the album's owner may change it.", id=facts.album_id)
