"""Who is calling: API keys looked up by digest in the auth read model, cached per process.

While the position listener is up, every change to keys or accounts clears the cache at once;
while it is down, entries live half a second. Either way a revoked key stops working within a
second on every process.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass

from pichr.application.files.tally import KeyUsageRecorder
from pichr.domain.errors import UnauthenticatedError
from pichr.domain.principal import NOBODY, Principal
from pichr.projections.queries.reads import ReadModels

CACHE_SECONDS = 0.5  # while the position listener is down
LIVE_CACHE_SECONDS = 30.0  # while it is up
KEY_LENGTH = 35  # "pk_" + 32 base58 characters


@dataclass(frozen=True, slots=True)
class CachedKey:
    fresh_until: float  # time.monotonic()
    principal: Principal | None  # None: unknown or revoked
    expires_at: float | None  # time.time() of the key's own expiry


class Authenticator:
    def __init__(self, reads: ReadModels, usage: KeyUsageRecorder | None = None) -> None:
        self.reads = reads
        self.usage = usage
        self._cache: dict[str, CachedKey] = {}
        self._loading: dict[str, asyncio.Future[CachedKey]] = {}
        self.live = False
        self.synced = 0
        self.passes = 0  # bumped by every eviction: a lookup that saw it change is not cached

    async def advance(self, name: str, position: int) -> None:
        """Evict the keys whose key or account changed since the last pass."""
        if name != "auth" or position <= self.synced:
            return
        changed = await self.reads.keys_changed_since(self.synced)
        self.passes += 1
        for digest in changed:
            self._cache.pop(digest, None)
        self.synced = max(self.synced, position)

    async def reset(self, positions: dict[str, int]) -> None:
        self._cache.clear()
        self.passes += 1
        self.synced = positions.get("auth", 0)
        self.live = True

    def stop(self) -> None:
        self.live = False
        self.passes += 1
        self._cache.clear()

    async def principal(self, authorization: str | None) -> Principal:
        if not authorization:
            return NOBODY
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or len(token) != KEY_LENGTH or not token.startswith("pk_"):
            raise UnauthenticatedError("The API key is malformed.")
        # Looked up by digest through an index: the timing does not depend on how much of a
        # presented key matches a real one, and the plaintext is never stored.
        digest = hashlib.sha256(token.encode()).hexdigest()
        entry = self._cache.get(digest)
        if entry is None or entry.fresh_until <= time.monotonic():
            entry = await self._load_once(digest)
        if entry.principal is None:
            raise UnauthenticatedError("The API key is unknown or revoked.")
        if entry.expires_at is not None and entry.expires_at <= time.time():
            raise UnauthenticatedError("The API key has expired.")
        if self.usage is not None and entry.principal.key_id:
            self.usage.touch(entry.principal.key_id)
        return entry.principal

    async def _load_once(self, digest: str) -> CachedKey:
        """One lookup per digest at a time; concurrent callers share its answer."""
        pending = self._loading.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedKey] = asyncio.get_running_loop().create_future()
        self._loading[digest] = future
        try:
            entry = await self._load(digest)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(entry)
            return entry
        finally:
            del self._loading[digest]

    async def _load(self, digest: str) -> CachedKey:
        before = self.passes
        record = await self.reads.key_by_digest(digest)
        ttl = LIVE_CACHE_SECONDS if self.live else CACHE_SECONDS
        principal = expires = None
        if record is not None and record.revoked_at is None and record.deleted_at is None:
            principal = Principal(
                record.account_id,
                record.id,
                frozenset(record.scopes),
                record.plan,
                safe_mode_optional=record.safe_mode_optional,
            )
            expires = record.expires_at.timestamp() if record.expires_at else None
        entry = CachedKey(time.monotonic() + ttl, principal, expires)
        if len(self._cache) > 10_000:
            self._cache.clear()
        if self.passes == before:
            self._cache[digest] = entry
        return entry
