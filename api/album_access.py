"""Who may open an album: visibility, deletion, and the password (with its guess throttle)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from api.album_services import AlbumServices
from api.errors import ApiError
from application.passwords import token_valid
from application.principal import Principal

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Unlock:
    """What the caller offers to open a protected album."""

    client: str  # the client's address: wrong guesses are counted per album and client
    password: str | None = None
    token: str | None = None  # a browser's unlock cookie (album pages only)


def is_owner(row: Row, who: Principal) -> bool:
    return who.account_id is not None and row["owner_id"] == who.account_id


async def open_album(
    albums: AlbumServices, album_id: str, who: Principal, unlock: Unlock
) -> tuple[Row, bool]:
    """The album row and whether the caller owns it; 404, 410, 401 or 429 otherwise.

    A private album answers 404 to all but its owner, so its existence does not leak.
    """
    row = await albums.reads.album(album_id)
    if row is None:
        raise ApiError(404, "No such album.", id=album_id)
    owner = is_owner(row, who)
    if row["visibility"] == "private" and not owner:
        raise ApiError(404, "No such album.", id=album_id)
    if row["status"] != "live":
        raise ApiError(410, "The album was deleted.", id=album_id)
    if not owner and row["password_hash"] is not None:
        await _check_password(albums, row, unlock)
    return row, owner


async def _check_password(albums: AlbumServices, row: Row, unlock: Unlock) -> None:
    album_id, hashed = row["id"], row["password_hash"]
    if unlock.token and token_valid(hashed, album_id, unlock.token, time.time()):
        return
    if not unlock.password:
        raise ApiError(401, "This album is password-protected.", id=album_id, passwordRequired=True)
    key = f"{album_id}|{unlock.client}"
    wait = await albums.guesses.retry_after(key)
    if wait > 0:
        raise _throttled(wait)
    password = unlock.password
    if albums.passwords.remembered(hashed, password):
        return
    # Counted before the (slow) check, so parallel guesses cannot all slip under the limit.
    if not await albums.guesses.wrong_guess(key):
        raise _throttled(await albums.guesses.retry_after(key))
    if await to_thread.run_sync(albums.passwords.verify, hashed, password):
        await albums.guesses.forgive(key)
        return
    raise ApiError(401, "The album password is wrong.", id=album_id, passwordRequired=True)


def _throttled(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    error = ApiError(429, "Too many wrong passwords; retry later.", retryAfter=seconds)
    error.headers = {"Retry-After": str(seconds)}
    return error
