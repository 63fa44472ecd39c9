"""api/body.py: the thread-side reader returns the body intact, in few trips to the loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.to_thread

from pichr.api import body
from pichr.api.body import ThreadBodyReader


def read_in_thread(chunks: list[bytes], size: int) -> tuple[bytes, int]:
    """The body as a worker thread reads it with read(size); and the trips to the loop."""
    trips = 0

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    class Counted(ThreadBodyReader):
        async def _next(self) -> bytes:
            nonlocal trips
            trips += 1
            return await super()._next()

    async def main() -> bytes:
        reader = Counted(stream())

        def drain() -> bytes:
            out = []
            while data := reader.read(size):
                out.append(data)
            assert reader.read(size) == b""  # EOF stays EOF
            return b"".join(out)

        return await anyio.to_thread.run_sync(drain)

    return anyio.run(main), trips


def test_small_chunks_arrive_intact_in_gathered_trips() -> None:
    chunks = [bytes([n]) * 16384 for n in range(80)]  # 1.25 MiB in 16 KiB chunks
    got, trips = read_in_thread(chunks, 65536)
    assert got == b"".join(chunks)
    whole = len(got) // body.GATHER
    assert trips <= whole + 2  # ~GATHER a trip, the rest, then EOF: not one per chunk


def test_empty_chunks_and_odd_sizes_do_not_end_the_body_early() -> None:
    chunks = [b"a" * 1000, b"", b"b" * 300_000, b"", b"c" * 7]
    got, _ = read_in_thread(chunks, 4096)
    assert got == b"".join(chunks)


def test_an_empty_body_is_eof_at_once() -> None:
    got, trips = read_in_thread([], 1024)
    assert got == b""
    assert trips == 1
