"""Read-your-writes: wait until a projection has folded a given log position.

One LISTEN connection per process learns each projection's position as runners commit; a
slow poll covers notifications missed while reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

import psycopg

from pichr.projections.log.reader import POSITION, POSITIONS
from pichr.projections.views.base import CHANNEL

log = logging.getLogger("pichr.waiter")


class Follower(Protocol):
    """A process-local copy of some read model that must follow the projections exactly."""

    async def advance(self, name: str, position: int) -> None: ...

    async def reset(self, positions: dict[str, int]) -> None: ...

    def stop(self) -> None: ...


class PositionWaiter:
    def __init__(self, database_url: str, followers: Sequence[Follower] = ()) -> None:
        self.database_url = database_url
        self.followers = list(followers)  # told of every new position before waiters are
        self.positions: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, name: str, position: int, timeout: float) -> bool:
        if position <= self.positions.get(name, 0):
            return True
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.positions.get(name, 0) >= position)
        except TimeoutError:
            return await self._poll_once(name) >= position
        return True

    async def _set(self, name: str, position: int, changed: bool = True) -> None:
        """A projection reached `position`. Followers hear of it only when its batch applied
        an event: otherwise nothing they copy changed, and their next catch-up (from where
        they last synced) covers the skipped range anyway."""
        if position > self.positions.get(name, 0):
            if changed:
                for follower in self.followers:
                    await follower.advance(name, position)
            self.positions[name] = position
            async with self._changed:
                self._changed.notify_all()

    async def _poll_once(self, name: str) -> int:
        try:
            async with await psycopg.AsyncConnection.connect(self.database_url) as conn:
                cur = await conn.execute(POSITION, (name,))
                row = await cur.fetchone()
        except psycopg.Error:
            return self.positions.get(name, 0)
        if row:
            await self._set(name, int(row[0]))
        return self.positions.get(name, 0)

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    cur = await conn.execute(POSITIONS)
                    current = {name: int(position) for name, position in await cur.fetchall()}
                    for follower in self.followers:
                        await follower.reset(current)
                    for name, position in current.items():
                        await self._set(name, position)
                    async for note in conn.notifies():
                        await self._set(*parse_note(note.payload))
            except (psycopg.Error, OSError) as exc:
                for follower in self.followers:
                    follower.stop()  # notifications may be missed until reconnected
                log.warning("position listener: %s; reconnecting", exc)
                await asyncio.sleep(1.0)


def parse_note(payload: str) -> tuple[str, int, bool]:
    """(projection, position, whether its batch applied any event) from a runner's NOTIFY;
    a note without the count (an older runner) counts as a change."""
    parts = payload.split(":")
    if len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
        return ":".join(parts[:-2]), int(parts[-2]), parts[-1] != "0"
    name, _, position = payload.rpartition(":")
    return name, int(position), True
