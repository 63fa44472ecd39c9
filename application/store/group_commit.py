"""Group commit: concurrent callers' writes go to the database in one transaction.

The event table's lock serialises every writer for the length of its transaction, flush
included; a hundred commands committing one by one wait in one queue. Here the first caller to
arrive writes for everyone who queued meanwhile (a leader and its followers): one lock, one
flush, each caller told its own result. Nobody waits for a timer: alone, a caller writes at
once; under load, the batch is whoever arrived while the previous one was being written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")  # what one caller hands over
R = TypeVar("R")  # what one caller gets back


@dataclass(slots=True)
class Pending(Generic[T, R]):
    """One caller's write, and its outcome once a leader wrote it."""

    item: T
    result: R | None = None
    error: BaseException | None = None
    done: bool = field(default=False)

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError("a batch was written without an outcome for one of its writes")
        return self.result


class GroupCommit(Generic[T, R]):
    """`write` takes a batch and sets each Pending's result or error (it may raise: then every
    Pending of the batch left without an outcome gets that error)."""

    def __init__(self, write: Callable[[Sequence[Pending[T, R]]], None]) -> None:
        self._write = write
        self._ready = threading.Condition()
        self._queue: list[Pending[T, R]] = []
        self._writing = False

    def submit(self, item: T) -> R:
        mine: Pending[T, R] = Pending(item)
        with self._ready:
            self._queue.append(mine)
            while self._writing and not mine.done:
                self._ready.wait()
            if mine.done:  # a leader wrote it
                return mine.outcome()
            self._writing = True  # lead: write everyone who waits, this caller included
            batch, self._queue = self._queue, []
        try:
            self._write(batch)
        except BaseException as exc:
            for pending in batch:
                if pending.result is None and pending.error is None:
                    pending.error = exc
        finally:
            with self._ready:
                for pending in batch:
                    pending.done = True
                self._writing = False
                self._ready.notify_all()
        return mine.outcome()
