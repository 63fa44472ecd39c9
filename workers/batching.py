"""Group commit for the analysis: the analysis jobs waiting in one process run as one batch.

One `tasks.analyze_images` call (application/analysis) scores its files in one model run and
records them in one commit: about 10-15% less CPU per image than a call per file. dramatiq gives
each message a worker thread of its own, so the actors do not call the task: they `submit` their
file ids here and block until those are analyzed. dramatiq acks a message only once its work is
durable; a crash mid-batch leaves every message of the batch unacked, and the task is
idempotent, so the jobs stay at-least-once.

At most `lanes` batches run at once (PICHR_ANALYSIS_LANES, default 2: with each model run on
one thread, PICHR_NSFW_THREADS, about a lane per core; only `lanes` threads use the event store
for the analysis). A thread that finds a lane free leads: it runs its own ids with those of the
oldest waiting submissions (up to MAX_BATCH files) while their threads wait. When its batch is
done the lane passes to a waiting thread, which takes everything that arrived meanwhile; no
thread runs other messages' work after its own, so no message waits on an endless drain to be
acked.
Batches form only when more messages are in flight than lanes, hence PICHR_WORKER_THREADS is
well above the lanes (a waiting thread costs little).

Failures stay with their message. When a batch of several submissions raises, which file
failed is unknown: each submission runs again alone, on its own thread, so only the bad file's
message fails (and is retried, or dead, as any job) and the others succeed. An interrupt (a
BaseException such as dramatiq's time limit) in a leader frees its lane and gives the rest of
its batch back to their threads, each to run alone; an interrupted waiter leaves the queue.
Waiters wake every POLL_S, so that dramatiq's asynchronous time limit reaches them too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pichr.workers import tasks
from pichr.workers.context import TaskContext

MAX_BATCH = 8  # files per batch; a submission larger than this runs as one batch of its own
POLL_S = 0.5
EXTRA = "analysis_batcher"  # its key in TaskContext.extras
_made = threading.Lock()


@dataclass(eq=False)  # compared (and hashed) by identity
class _Submission:
    file_ids: list[str]
    done: bool = False  # analyzed, failed, or its thread has gone
    error: Exception | None = None
    alone: bool = False  # its last batch failed: it runs by itself next


class AnalysisBatcher:
    """Runs `run(file_ids)` for the submissions of many threads, several submissions a call."""

    def __init__(
        self, run: Callable[[list[str]], object], lanes: int = 1, max_batch: int = MAX_BATCH
    ) -> None:
        if lanes < 1 or max_batch < 1:
            raise ValueError("lanes and max_batch must be at least 1")
        self._run = run
        self._lanes = lanes
        self._max = max_batch
        self._cond = threading.Condition()
        self._waiting: list[_Submission] = []  # oldest first
        self._running: dict[_Submission, list[_Submission]] = {}  # leader's own -> its batch

    def submit(self, file_ids: list[str]) -> None:
        """Returns once `file_ids` are analyzed; raises what their analysis raised."""
        mine = _Submission(list(file_ids))
        try:
            with self._cond:
                self._waiting.append(mine)
            while (batch := self._turn(mine)) is not None:
                self._lead(mine, batch)
        except BaseException:
            self._abandon(mine)
            raise
        if mine.error is not None:
            raise mine.error

    def waiting(self) -> int:
        """Submissions not yet taken into a batch."""
        with self._cond:
            return len(self._waiting)

    def _turn(self, mine: _Submission) -> list[_Submission] | None:
        """Waits until `mine` is done (None) or this thread leads a batch (the batch)."""
        with self._cond:
            while not mine.done:
                if mine in self._waiting and len(self._running) < self._lanes:
                    batch = self._running[mine] = self._take(mine)
                    return batch
                self._cond.wait(POLL_S)
            return None

    def _take(self, mine: _Submission) -> list[_Submission]:
        self._waiting.remove(mine)
        if mine.alone:
            return [mine]
        batch, size = [mine], len(mine.file_ids)
        for other in self._waiting:
            if not other.alone and size + len(other.file_ids) <= self._max:
                batch.append(other)
                size += len(other.file_ids)
        self._waiting = [s for s in self._waiting if s not in batch]
        return batch

    def _lead(self, mine: _Submission, batch: list[_Submission]) -> None:
        error: Exception | None = None
        try:
            self._run([file_id for s in batch for file_id in s.file_ids])
        except Exception as exc:  # a BaseException goes up to submit's _abandon
            error = exc
        with self._cond:
            if error is None or len(batch) == 1:
                for s in batch:
                    s.done, s.error = True, error
            else:
                back = [s for s in batch if not s.done]
                for s in back:
                    s.alone = True
                self._waiting[:0] = back
            del self._running[mine]
            self._cond.notify_all()

    def _abandon(self, mine: _Submission) -> None:
        """This thread leaves (interrupted): nothing it held, lane or batch, stays stuck."""
        with self._cond:
            mine.done = True  # wanted no more: not run again, not put back
            if mine in self._waiting:
                self._waiting.remove(mine)
            batch = self._running.pop(mine, None) or []
            back = [s for s in batch if s is not mine and not s.done and s not in self._waiting]
            for s in back:
                s.alone = True
            self._waiting[:0] = back
            self._cond.notify_all()


def analysis_batcher(context: TaskContext) -> AnalysisBatcher:
    """The process's batcher over `tasks.analyze_images`, built on first use."""
    with _made:
        batcher: AnalysisBatcher | None = context.extras.get(EXTRA)
        if batcher is None:
            batcher = context.extras[EXTRA] = AnalysisBatcher(
                lambda file_ids: tasks.analyze_images(context, file_ids),
                context.settings.analysis_lanes,
            )
    return batcher
