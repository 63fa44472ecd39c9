"""The analysis batcher (workers/batching.py) on the real task and PostgreSQL: waiting jobs join
one batch, a bad file fails only its own job, and no failure or interrupt leaves it stuck."""

from __future__ import annotations

import ctypes
import threading

import dramatiq
import pytest
from dramatiq.middleware.time_limit import TimeLimitExceeded

from pichr.application.blobs.port import BlobNotFoundError
from pichr.workers.batching import EXTRA, POLL_S, analysis_batcher
from pichr.workers.broker import make_broker, send
from pichr.workers.context import install
from pichr.workers.failures import ensure_failures_table, failed_jobs
from pichr.workers.runtime import broker_settings
from tests.integration.batching_support import (
    Interrupted,
    Spy,
    files,
    finishes,
    lose_bytes,
    submit_all,
    submitter,
)
from tests.integration.workers import CommandSide, eventually, job_settings


def test_waiting_submissions_run_as_one_batch_each_file_analyzed_once(side: CommandSide) -> None:
    file_ids = files(side, 6)
    spy = Spy(side.context(job_settings("", side.data_dir)), hold=5)
    outcomes = submit_all(spy, file_ids)
    assert outcomes == dict.fromkeys(file_ids)
    assert spy.calls[0] == file_ids[:1]
    assert len(spy.calls) == 2  # six submissions, two calls: the five that waited ran together
    assert sorted(spy.calls[1]) == sorted(file_ids[1:])
    assert [side.analyses(f) for f in file_ids] == [1] * 6


def test_a_bad_file_fails_only_its_own_submission(side: CommandSide) -> None:
    first, bad, *good = files(side, 4)
    lose_bytes(side, bad)  # its analysis raises BlobNotFoundError every time
    spy = Spy(side.context(job_settings("", side.data_dir)), hold=3)
    outcomes = submit_all(spy, [first, bad, *good])
    assert isinstance(outcomes.pop(bad), BlobNotFoundError)
    assert outcomes == dict.fromkeys([first, *good])
    assert sorted(spy.calls[1]) == sorted([bad, *good])  # they were batched, and that failed
    assert sorted(spy.calls[2:]) == sorted([[bad]] + [[g] for g in good])  # then each alone
    assert [side.analyses(f) for f in (first, *good)] == [1, 1, 1]
    assert side.analyses(bad) == 0


def test_the_process_batcher_is_free_again_after_a_failed_batch(side: CommandSide) -> None:
    bad, later = files(side, 2)
    lose_bytes(side, bad)
    context = side.context(job_settings("", side.data_dir))
    batcher = analysis_batcher(context)
    assert analysis_batcher(context) is batcher  # one per process (TaskContext)
    with pytest.raises(BlobNotFoundError):
        batcher.submit([bad])
    finishes(lambda: batcher.submit([later]))
    assert (side.analyses(bad), side.analyses(later)) == (0, 1)


def test_two_lanes_run_two_batches_at_once(side: CommandSide) -> None:
    file_ids = files(side, 2)
    spy = Spy(side.context(job_settings("", side.data_dir)), lanes=2)
    spy.release.clear()  # the first batch holds its lane until released
    outcomes: dict[str, BaseException | None] = {}
    submit = submitter(spy, outcomes)
    threads = [threading.Thread(target=submit, args=(f,), daemon=True) for f in file_ids]
    threads[0].start()
    eventually(lambda: len(spy.calls) == 1, what="the first batch running")
    threads[1].start()
    threads[1].join(60)  # ran on the second lane meanwhile
    assert outcomes == {file_ids[1]: None}
    spy.release.set()
    threads[0].join(60)
    assert outcomes == dict.fromkeys(file_ids)
    assert spy.calls == [[f] for f in file_ids]
    assert [side.analyses(f) for f in file_ids] == [1, 1]


def test_a_leader_interrupted_mid_batch_hands_the_rest_back(side: CommandSide) -> None:
    file_ids = files(side, 3)
    spy = Spy(side.context(job_settings("", side.data_dir)), hold=2, interrupt=2)
    outcomes = submit_all(spy, file_ids)
    leader = spy.threads[1]  # the thread that led the batch of the two that waited
    assert sorted(spy.calls[1]) == sorted(file_ids[1:])
    assert isinstance(outcomes.pop(leader), Interrupted)
    (other,) = set(file_ids[1:]) - {leader}
    assert outcomes == {file_ids[0]: None, other: None}
    assert spy.calls[2:] == [[other]]  # given back to its own thread, run alone
    assert [side.analyses(f) for f in (file_ids[0], other, leader)] == [1, 1, 0]
    (later,) = files(side, 1, first_seed=30)
    finishes(lambda: spy.batcher.submit([later]))  # the lane is free again
    assert side.analyses(later) == 1


def test_a_waiter_reached_by_a_time_limit_leaves_the_queue(side: CommandSide) -> None:
    first, waiter, later = files(side, 3)
    spy = Spy(side.context(job_settings("", side.data_dir)), hold=1)
    spy.release.clear()  # the first batch holds the lane until released
    outcomes: dict[str, BaseException | None] = {}
    submit = submitter(spy, outcomes)
    leading = threading.Thread(target=submit, args=(first,), daemon=True)
    leading.start()
    eventually(lambda: bool(spy.calls), what="the first batch running")
    waiting = threading.Thread(target=submit, args=(waiter,), daemon=True)
    waiting.start()
    eventually(lambda: spy.batcher.waiting() == 1, what="the second submission queued")
    # What dramatiq's TimeLimit middleware does to a worker thread past its limit.
    assert waiting.ident is not None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(waiting.ident), ctypes.py_object(TimeLimitExceeded)
    )
    waiting.join(POLL_S * 10)
    assert not waiting.is_alive(), "the waiter did not see its time limit"
    assert isinstance(outcomes[waiter], TimeLimitExceeded)
    assert spy.batcher.waiting() == 0
    spy.release.set()
    leading.join(60)
    finishes(lambda: spy.batcher.submit([later]))
    assert outcomes[first] is None
    assert spy.calls == [[first], [later]]  # the gone waiter's file was never run
    assert [side.analyses(f) for f in (first, waiter, later)] == [1, 0, 1]


def test_worker_threads_batch_analysis_jobs_and_only_the_bad_one_dies(side: CommandSide) -> None:
    """The actors on a real dramatiq worker and the PostgreSQL broker."""
    first, bad, *good = files(side, 6)
    lose_bytes(side, bad)
    settings = job_settings("", side.data_dir, worker_threads=8)
    context = side.context(settings)
    spy = Spy(context, hold=4)  # four jobs: three of one file, one of two
    context.extras[EXTRA] = spy.batcher  # what analysis_batcher(context) returns
    ensure_failures_table(side.database_url)
    broker = make_broker(broker_settings(settings, side.database_url))
    install(context)
    worker = dramatiq.Worker(broker, worker_threads=settings.worker_threads, worker_timeout=100)
    worker.start()
    try:
        send(broker, "analyze_image", first)
        eventually(lambda: bool(spy.calls), what="the first job running")
        for file_id in (bad, *good[:2]):
            send(broker, "analyze_image", file_id)
        send(broker, "analyze_images", good[2:])
        eventually(lambda: bool(failed_jobs(side.database_url)), what="the bad job dead")
        eventually(lambda: all(side.analyses(g) == 1 for g in good), what="the good ones")
    finally:
        worker.stop()
        broker.close()
        install(None)
    assert spy.calls[0] == [first]
    assert sorted(spy.calls[1]) == sorted([bad, *good])  # five files of four jobs in one batch
    (dead,) = failed_jobs(side.database_url)
    assert (dead["actor"], dead["args"], dead["attempts"]) == ("analyze_image", [bad], 2)
    assert [side.analyses(f) for f in (first, bad, *good)] == [1, 0, 1, 1, 1, 1]
