"""The command side: one eventsourcing Application holding every aggregate of Pichr."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, InternalError, Mapper

from pichr.application.privacy.keys import KeyRing
from pichr.application.privacy.mapper import SealingMapper
from pichr.domain import ids
from pichr.domain.errors import ConflictError, NotFoundError
from pichr.domain.log import LOG_NAME
from pichr.domain.quota import StorageLedger

A = TypeVar("A", bound=Aggregate)
RETRIES = 3
DDL_RETRIES = 5
POOL_WAIT_S = 1.0


class PichrApplication(Application[UUID]):
    """Commands load an aggregate, call one method and save; they return the log position."""

    name = LOG_NAME  # pinned: it names the events table and the notification channel
    # Ledgers get an event per upload; a snapshot every 100 keeps loading them cheap, and
    # the repository keeps the ledgers it loaded: each load then reads only the events
    # recorded since (by any process), not up to 99 of them (a fifth of a presign's CPU).
    # Only snapshotted kinds go through the repository (see _get), so only ledgers are kept.
    snapshotting_intervals = {StorageLedger: 100}
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def construct_mapper(self) -> Mapper[UUID]:
        """Personal fields sealed with their subject's key (application/privacy/)."""
        self.keys = KeyRing(self._key_cursor)
        return SealingMapper(self.keys, transcoder=self.construct_transcoder())

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """The library's save, with the subject keys of its personal events made first, in
        one transaction for the whole save (application/privacy/keys.py)."""
        mapper = self.mapper
        if isinstance(mapper, SealingMapper):
            mapper.prepare(objs)
        return super().save(*objs, **kwargs)

    @contextmanager
    def _key_cursor(self) -> Iterator[Any]:
        """A cursor in a committed transaction on the event store's pool; None in memory."""
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is None:
            yield None
            return
        with datastore.transaction(commit=True) as cur:
            yield cur

    def construct_recorder(self) -> ApplicationRecorder:
        # eventsourcing runs CREATE OR REPLACE FUNCTION on every start, and processes starting
        # together fail with "tuple concurrently updated"; the DDL is idempotent, so run it again.
        for attempt in range(DDL_RETRIES):
            try:
                return _fail_fast(super().construct_recorder())
            except InternalError as exc:
                if "concurrently" not in str(exc) or attempt == DDL_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def load(self, kind: type[A], prefix: str, public_id: str) -> A:
        try:
            aggregate = self._get(kind, ids.to_uuid(prefix, public_id))
        except (ids.InvalidIdError, AggregateNotFoundError):
            raise NotFoundError(f"No such {prefix.rstrip('_')}.", id=public_id) from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(f"No such {prefix.rstrip('_')}.", id=public_id)
        return aggregate

    def _get(self, kind: type[Aggregate], aggregate_id: UUID) -> Aggregate:
        """Through the repository's cache: an aggregate loaded before reads only the events
        recorded since (by any process), and the command gets a copy. A first load of a kind
        that is never snapshotted skips the snapshot table (one query fewer)."""
        repository = self.repository
        cache = repository.cache
        if cache is not None and kind not in self.snapshotting_intervals:
            try:
                cache.get(aggregate_id)
            except KeyError:
                events = repository.event_store.get(originator_id=aggregate_id)
                aggregate: Aggregate | None = _project(None, events)
                if aggregate is None:
                    raise AggregateNotFoundError(aggregate_id) from None
                cache.put(aggregate_id, aggregate)
                copied: Aggregate = deepcopy(aggregate)
                return copied
        got: Aggregate = repository.get(aggregate_id, projector_func=_project)
        return got

    def commit(self, *aggregates: Aggregate) -> int:
        """Save; the notification id of the last event recorded (0 when nothing changed)."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConflictError("The resource was changed concurrently; retry.") from None
        return max((r.notification.id for r in recordings), default=0)

    def change(
        self,
        kind: type[A],
        prefix: str,
        public_id: str,
        apply: Callable[[A], Any],
        loaded: A | None = None,
    ) -> int:
        """Load, apply, save; on a concurrent write reload and apply again (no lost update).

        `apply` may return other aggregates it changed (e.g. a quota ledger): they are saved
        in the same transaction. `loaded`: the aggregate as the caller just loaded it (and has
        not changed), used for the first attempt instead of loading it again.
        """
        for attempt in range(RETRIES):
            aggregate = loaded if loaded is not None else self.load(kind, prefix, public_id)
            loaded = None
            others = apply(aggregate)
            try:
                return self.commit(aggregate, *(others if isinstance(others, list) else ()))
            except ConflictError:
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's project_aggregate without its assert against a runtime-checkable Protocol
    (a tenth of a PATCH's GIL time under py-spy --gil), for events of our own kinds."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _fail_fast(recorder: ApplicationRecorder) -> ApplicationRecorder:
    """Wait at most POOL_WAIT_S for a connection per attempt once started (the connect timeout
    still bounds the start): in a database outage a command fails after four such waits (a 503;
    application/store/retries.py) instead of ten."""
    pool = getattr(getattr(recorder, "datastore", None), "pool", None)
    if pool is not None:
        pool.timeout = POOL_WAIT_S
    return recorder
