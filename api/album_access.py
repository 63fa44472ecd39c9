"""Opening an album: the decision (domain/album_access.py), then the password, with its guess
throttles: per album and client, and a ceiling per album over every client."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from anyio import to_thread

from pichr.api.album_services import AlbumServices
from pichr.application.albums.passwords import GuessLimiter, token_valid
from pichr.domain.album_access import check_album, needs_password
from pichr.domain.errors import NotFoundError, RateLimitedError, UnauthenticatedError
from pichr.domain.principal import Principal
from pichr.projections.queries.facts import album_facts
from pichr.projections.queries.rows import AlbumRow


@dataclass(frozen=True, slots=True)
class Unlock:
    """What the caller offers to open a protected album."""

    client: str  # the client's address: wrong guesses are counted per album and client
    password: str | None = None
    token: str | None = None  # a browser's unlock cookie (album pages only)


async def open_album(
    albums: AlbumServices, album_id: str, who: Principal, unlock: Unlock
) -> tuple[AlbumRow, bool]:
    """The album row and whether the caller owns it; the decision's 404 or 410, or 401/429
    for a password the caller has not given right (its owner never needs one)."""
    row = await albums.reads.album(album_id)
    if row is None:
        raise NotFoundError("No such album.", id=album_id)
    facts = album_facts(row)
    owner = check_album(facts, who)
    if needs_password(facts, owner=owner):
        await _check_password(albums, row, unlock)
    return row, owner


async def _check_password(albums: AlbumServices, row: AlbumRow, unlock: Unlock) -> None:
    album_id, hashed = row.id, row.password_hash
    if hashed is None:  # not protected: needs_password() said so first
        return
    if unlock.token and token_valid(hashed, album_id, unlock.token, time.time()):
        return
    if not unlock.password:
        raise UnauthenticatedError(
            "This album is password-protected.", id=album_id, passwordRequired=True
        )
    mine = f"{album_id}|{unlock.client}"
    throttles = ((albums.guesses, mine), (albums.album_guesses, album_id))  # and the ceiling
    for limit, key in throttles:
        wait = await limit.retry_after(key)
        if wait > 0:
            raise _throttled(wait)
    if albums.passwords.remembered(hashed, unlock.password):
        return
    await _count_guess(throttles)
    if await to_thread.run_sync(albums.passwords.verify, hashed, unlock.password):
        await albums.guesses.forgive(mine)
        return
    raise UnauthenticatedError("The album password is wrong.", id=album_id, passwordRequired=True)


async def _count_guess(throttles: tuple[tuple[GuessLimiter, str], ...]) -> None:
    """Counted before the (slow) check, so parallel guesses cannot all slip under the limit."""
    for limit, key in throttles:
        if not await limit.wrong_guess(key):
            raise _throttled(await limit.retry_after(key))


def _throttled(wait: float) -> RateLimitedError:
    seconds = max(1, math.ceil(wait))
    message = "Too many wrong passwords; retry later."
    return RateLimitedError(message, retry_after=seconds, retryAfter=seconds)
