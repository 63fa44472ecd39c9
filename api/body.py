"""A file-like view of the request body for code running in a worker thread.

Each read pulls the next GATHER bytes or so from the event loop when the current ones are used
up, so about that much is held at a time. Reads may be short; only EOF returns b"".
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio.from_thread

GATHER = 256 * 1024


class ThreadBodyReader:
    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self._stream = stream
        self._chunk = b""
        self._offset = 0
        self._done = False

    async def _next(self) -> bytes:
        """At least GATHER bytes (fewer only at the end): the server hands the body over in
        chunks of 16-300 KB, and each trip from the thread to the loop costs two thread
        switches."""
        parts: list[bytes] = []
        size = 0
        try:
            while size < GATHER:
                chunk = await self._stream.__anext__()
                parts.append(chunk)
                size += len(chunk)
        except StopAsyncIteration:
            pass
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read(self, size: int = -1, /) -> bytes:
        while self._offset >= len(self._chunk):
            if self._done:
                return b""
            self._chunk, self._offset = anyio.from_thread.run(self._next), 0
            if not self._chunk:
                self._done = True
                return b""
        end = len(self._chunk) if size < 0 else min(len(self._chunk), self._offset + size)
        data = self._chunk[self._offset : end]
        self._offset = end
        return data
