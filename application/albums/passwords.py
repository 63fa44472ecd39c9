"""Album passwords: argon2 hashes, a throttle on wrong guesses, and unlock tokens for browsers.

Only the hash is ever recorded. Verification costs tens of milliseconds by design, so correct
answers are remembered (keyed by the hash, so a new password forgets them).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (19 MiB, 2 passes): ~50 ms here, and memory-hard for guessers.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_REMEMBERED = 10_000
GUESSES_PER_WINDOW = 5
WINDOW_SECONDS = 60.0


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class PasswordChecker:
    """Verifies passwords against argon2 hashes, remembering the ones that matched."""

    def __init__(self) -> None:
        self._matched: set[bytes] = set()

    def remembered(self, password_hash: str, password: str) -> bool:
        """True when this password matched this hash before (no argon2 work)."""
        return _key(password_hash, password) in self._matched

    def verify(self, password_hash: str, password: str) -> bool:
        key = _key(password_hash, password)
        if key in self._matched:
            return True
        try:
            _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if len(self._matched) >= MAX_REMEMBERED:
            self._matched.clear()
        self._matched.add(key)
        return True


def _key(password_hash: str, password: str) -> bytes:
    return hashlib.sha256(f"{password_hash}\0{password}".encode()).digest()


def unlock_token(password_hash: str, album_id: str, until: int) -> str:
    """A browser's proof that it knew the password: keyed by the hash, so any process can check
    it and changing the password revokes it."""
    mac = hmac.new(password_hash.encode(), f"{album_id}:{until}".encode(), hashlib.sha256)
    return f"{until}.{mac.hexdigest()}"


def token_valid(password_hash: str, album_id: str, token: str, now: float) -> bool:
    until, _, _ = token.partition(".")
    if not until.isdigit() or int(until) < now:
        return False
    return hmac.compare_digest(token, unlock_token(password_hash, album_id, int(until)))


class GuessLimiter(Protocol):
    """Counts guesses per key (album and client); api/limits/guesses.py is the one in use."""

    async def retry_after(self, key: str) -> float:
        """Seconds until the key may guess again; 0 when it may guess now."""
        ...

    async def wrong_guess(self, key: str) -> bool:
        """Count a guess before checking it; False when the key has no guess left."""
        ...

    async def forgive(self, key: str) -> None:
        """The guess was right: forget the key's wrong guesses."""
        ...
