"""Who is calling: API keys looked up by digest in the auth read model, cached for 0.5 s.

The cache bounds how long a revoked or expired key keeps working on any process.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from api.errors import ApiError
from application.principal import NOBODY, Principal
from projections.queries import ReadModels

CACHE_SECONDS = 0.5
KEY_LENGTH = 35  # "pk_" + 32 base58 characters


class Authenticator:
    def __init__(self, reads: ReadModels) -> None:
        self.reads = reads
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def principal(self, authorization: str | None) -> Principal:
        if not authorization:
            return NOBODY
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or len(token) != KEY_LENGTH or not token.startswith("pk_"):
            raise ApiError(401, "The API key is malformed.")
        digest = hashlib.sha256(token.encode()).hexdigest()
        record = await self._lookup(digest)
        if record is None or record["revoked_at"] is not None:
            raise ApiError(401, "The API key is unknown or revoked.")
        expires = record["expires_at"]
        if expires is not None and expires <= datetime.now(UTC):
            raise ApiError(401, "The API key has expired.")
        return Principal(record["account_id"], record["id"], frozenset(record["scopes"]),
                         record["plan"])  # fmt: skip

    async def _lookup(self, digest: str) -> dict[str, Any] | None:
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        # The lookup is by an index on the digest: its timing does not depend on how much of
        # a presented key matches a real one.
        record = await self.reads.key_by_digest(digest)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + CACHE_SECONDS, record)
        return record


def require(who: Principal, scope: str) -> None:
    """Anonymous callers get 401 where a key is needed; keys without the scope get 403."""
    if who.is_anonymous:
        raise ApiError(401, "This route needs an API key.", scope=scope)
    if scope not in who.scopes and "admin" not in who.scopes:
        raise ApiError(403, f"The API key lacks the '{scope}' scope.", scope=scope)
