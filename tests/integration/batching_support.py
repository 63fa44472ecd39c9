"""Helpers shared by the analysis batcher tests (no tests here): a spy over the real task
that holds its first batch, submissions from threads, files whose bytes are gone."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pichr.domain import ids
from pichr.domain.files import File
from pichr.workers import tasks
from pichr.workers.batching import AnalysisBatcher
from pichr.workers.context import TaskContext
from tests.integration.workers import CommandSide, eventually
from tests.support.photos import photo_jpeg


class Interrupted(BaseException):
    """Stands for an interrupt in the middle of a batch (a time limit, a shutdown)."""


class Spy:
    """Runs the real task and records each call. The first call waits until `hold` submissions
    queue behind it and `release` is set; the call numbered `interrupt` raises Interrupted."""

    def __init__(
        self, context: TaskContext, hold: int = 0, interrupt: int = 0, lanes: int = 1
    ) -> None:
        self.context, self.hold, self.interrupt = context, hold, interrupt
        self.calls: list[list[str]] = []
        self.threads: list[str] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.batcher = AnalysisBatcher(self, lanes)

    def __call__(self, file_ids: list[str]) -> None:
        with self.lock:
            self.calls.append(list(file_ids))
            self.threads.append(threading.current_thread().name)
            number = len(self.calls)
        if number == 1:
            eventually(lambda: self.batcher.waiting() >= self.hold, what="submissions queued")
            self.release.wait(30)
        if number == self.interrupt:
            raise Interrupted
        tasks.analyze_images(self.context, file_ids)


def files(side: CommandSide, count: int, first_seed: int = 10) -> list[str]:
    return [side.finalized(photo_jpeg((320, 240), seed=first_seed + n))[0] for n in range(count)]


def lose_bytes(side: CommandSide, file_id: str) -> None:
    side.blobs.delete(side.app.load(File, ids.FILE, file_id).stored_key)


def submitter(spy: Spy, outcomes: dict[str, BaseException | None]) -> Callable[[str], None]:
    """A thread's body: submits one file and notes what it raised (None: nothing)."""

    def submit(file_id: str) -> None:
        try:
            spy.batcher.submit([file_id])
            outcomes[file_id] = None
        except BaseException as exc:  # Interrupted too: the tests look at it
            outcomes[file_id] = exc

    return submit


def submit_all(spy: Spy, file_ids: list[str]) -> dict[str, BaseException | None]:
    """Submits each file from its own thread, the first before the others; what each raised."""
    outcomes: dict[str, BaseException | None] = {}
    submit = submitter(spy, outcomes)
    threads = [threading.Thread(target=submit, args=(f,), name=f, daemon=True) for f in file_ids]
    threads[0].start()
    eventually(lambda: bool(spy.calls), what="the first batch running")
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), f"submission of {thread.name} still blocked"
    return outcomes


def finishes(submit: Callable[[], None]) -> None:
    """Runs `submit` in a thread that must not stay blocked (a stuck lane would hang it)."""
    thread = threading.Thread(target=submit, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "a later submission stayed blocked"
