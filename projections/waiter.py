"""Read-your-writes: wait until a projection has folded a given log position.

One LISTEN connection per process learns each projection's position as runners commit; a
slow poll covers notifications missed while reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

from projections.base import CHANNEL

log = logging.getLogger("pichr.waiter")


class PositionWaiter:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
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

    async def _set(self, name: str, position: int) -> None:
        if position > self.positions.get(name, 0):
            self.positions[name] = position
            async with self._changed:
                self._changed.notify_all()

    async def _poll_once(self, name: str) -> int:
        try:
            async with await psycopg.AsyncConnection.connect(self.database_url) as conn:
                cur = await conn.execute(
                    "SELECT position FROM projection_tracking WHERE name = %s", (name,)
                )
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
                    cur = await conn.execute("SELECT name, position FROM projection_tracking")
                    for name, position in await cur.fetchall():
                        await self._set(name, int(position))
                    async for note in conn.notifies():
                        name, _, position = note.payload.rpartition(":")
                        await self._set(name, int(position))
            except (psycopg.Error, OSError) as exc:
                log.warning("position listener: %s; reconnecting", exc)
                await asyncio.sleep(1.0)
