"""The eventsourcing library's own recorder test cases, run against the recorder we ship
(application/store/recorder.py) on a datastore configured as the application configures it.

The library ships its test cases (eventsourcing.tests.persistence) but not the harness of its
PostgreSQL module; this mirrors that module for our recorder: the application-recorder cases
(concurrent writers, subscriptions, performance runs), the non-interleaving ids case, retries
after every connection was killed, the lock timeout, and the statements the library's other
paths use. Then what group commit adds: conflicts and faults stay with the caller that caused
them.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)
from psycopg.conninfo import conninfo_to_dict

from pichr.application.store.database import eventsourcing_env
from pichr.application.store.recorder import ArrayInsertRecorder
from tests.integration.pg import fresh_database, server_url

pytestmark = pytest.mark.integration
TABLE = "pichr_events"


class OurDatastore:
    """A fresh database per test, and a datastore with the application's settings."""

    url: ClassVar[str]
    pool_size = 5
    _database: ClassVar[Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls._database = fresh_database(server_url())
        cls.url = cls._database.__enter__()
        super().setUpClass()  # type: ignore[misc]

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()  # type: ignore[misc]
        cls._database.__exit__(None, None, None)

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        env = eventsourcing_env(self.url, self.pool_size)
        self.datastore = PostgresDatastore(
            env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
            env["POSTGRES_USER"], env["POSTGRES_PASSWORD"],
            pool_size=self.pool_size, max_overflow=int(env["POSTGRES_MAX_OVERFLOW"]),
            lock_timeout=int(env["POSTGRES_LOCK_TIMEOUT"]),
            idle_in_transaction_session_timeout=int(
                env["POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"]
            ),
            pre_ping=True,
        )  # fmt: skip
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {TABLE}")

    def tearDown(self) -> None:
        self.datastore.close()
        super().tearDown()  # type: ignore[misc]

    def create_recorder(self) -> ArrayInsertRecorder:
        recorder = ArrayInsertRecorder(self.datastore, events_table_name=TABLE)
        recorder.create_table()
        return recorder

    def close_all_connections(self) -> None:
        """What a database restart or a network cut does to the pool's connections."""
        dbname = conninfo_to_dict(self.url)["dbname"]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )


class TestOurRecorderAsApplicationRecorder(OurDatastore, ApplicationRecorderTestCase):
    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_retry_insert_events_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([event()])
        self.close_all_connections()
        ids = recorder.insert_events([event()])
        assert ids is not None
        assert len(ids) == 1

    def test_retry_select_notifications_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([event()])
        self.close_all_connections()
        assert len(recorder.select_notifications(start=1, limit=1)) == 1

    def test_retry_max_notification_id_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([event()])
        self.close_all_connections()
        assert recorder.max_notification_id() == 1

    def test_insert_lock_timeout_actually_works(self) -> None:
        self.datastore.lock_timeout = 1
        recorder = self.create_recorder()
        locked, done = threading.Event(), threading.Event()

        def hold_the_lock() -> None:
            with self.datastore.transaction(commit=True) as curs:
                recorder._insert_stored_events(curs, [event()])  # the library's own path
                locked.set()
                done.wait(timeout=10)

        holder = threading.Thread(target=hold_the_lock, daemon=True)
        holder.start()
        assert locked.wait(timeout=5)
        try:
            with pytest.raises(OperationalError, match="lock timeout"):
                recorder.insert_events_once([event()])
        finally:
            done.set()
            holder.join(timeout=10)

    def test_the_librarys_own_insert_path_keeps_its_statement(self) -> None:
        recorder = self.create_recorder()
        with self.datastore.transaction(commit=True) as curs:
            recorder._insert_stored_events(curs, [event(), event()])
            ids = recorder._fetch_ids_after_insert_events(curs, [])
        assert ids is not None
        assert len(ids) == 2

    def test_a_commit_with_many_non_ascii_topics_is_recorded(self) -> None:
        recorder = self.create_recorder()
        events = [event(topic=f"ü-{n}-" + "é" * 40) for n in range(200)]  # > 8000 bytes
        ids = recorder.insert_events(events)
        assert ids is not None
        assert len(ids) == 200


class TestOurRecorderNonInterleaving(OurDatastore, NonInterleavingNotificationIDsBaseCase):
    pass


class TestGroupCommit(OurDatastore, ApplicationRecorderTestCase):
    """Concurrent callers share a transaction; each gets its own outcome."""

    test_insert_select = None  # type: ignore[assignment]  (run above)
    test_performance = None  # type: ignore[assignment]
    test_concurrent_no_conflicts = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]

    def test_only_one_of_many_writers_of_one_version_wins(self) -> None:
        recorder = self.create_recorder()
        originator = uuid4()
        outcomes = run_together(32, lambda: recorder.insert_events([event(originator, version=1)]))
        assert sum(1 for o in outcomes if isinstance(o, list)) == 1
        assert all(isinstance(o, IntegrityError) for o in outcomes if not isinstance(o, list))
        recorded = recorder.select_notifications(start=None, limit=100)
        assert [n.originator_id for n in recorded] == [originator]

    def test_writers_of_different_aggregates_all_commit_in_order(self) -> None:
        recorder = self.create_recorder()
        outcomes = run_together(32, lambda: recorder.insert_events([event(), event()]))
        ids = [i for o in outcomes if isinstance(o, list) for i in o]
        assert len(ids) == 64
        assert len(set(ids)) == 64
        for o in outcomes:
            assert isinstance(o, list)
            assert o == sorted(o)  # a caller's events keep their order
        notes = recorder.select_notifications(start=None, limit=100)
        assert sorted(n.id for n in notes) == sorted(ids)

    def test_a_callers_bad_event_fails_only_that_caller(self) -> None:
        recorder = self.create_recorder()
        bad = event(version=2**63)  # out of bigint's range: the database refuses it
        calls = [lambda: recorder.insert_events([event()]) for _ in range(15)]
        calls.append(lambda: recorder.insert_events([bad]))
        outcomes = run_each_together(calls)
        assert isinstance(outcomes[-1], DataError), outcomes[-1]
        assert all(isinstance(o, list) for o in outcomes[:-1]), outcomes
        assert len(recorder.select_notifications(start=None, limit=100)) == 15


def event(
    originator: Any = None, version: int = 1, topic: str = "pichr.test.Happened.v1"
) -> StoredEvent:
    return StoredEvent(originator or uuid4(), version, topic, b'{"a":1}')


def run_together(count: int, call: Any) -> list[Any]:
    return run_each_together([call] * count)


def run_each_together(calls: list[Any]) -> list[Any]:
    """Start every call at once; what each returned or raised, in order."""
    start = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = calls[i]()
        except Exception as exc:  # each outcome is asserted by the test
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
