"""The eventsourcing Mapper that seals personal fields on the way into the log and opens them
on the way out: aggregates see plaintext while the subject's key exists, ERASED after."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from pichr.application.privacy.keys import KeyRing
from pichr.domain.privacy import PERSONAL, needs_key, open_sealed, seal, subject_of


class SealingMapper(Mapper[UUID]):
    """The library's Mapper (transcoder unchanged) with the fields docs/privacy.md names
    sealed per topic. Events of other topics, and events written before, pass unchanged."""

    def __init__(self, keys: KeyRing, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(type(domain_event))
        if topic not in PERSONAL:
            return super().to_stored_event(domain_event)
        state = vars(domain_event)
        aggregate_id: UUID = state["originator_id"]
        sealed = seal(
            topic,
            state,
            lambda: self.keys.for_sealing(
                aggregate_id, lambda: subject_of(topic, state, aggregate_id)
            ),
        )
        if sealed is state:
            return super().to_stored_event(domain_event)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def prepare(self, objs: Iterable[Any]) -> None:
        """Before a save: the keys of every aggregate about to record a personal event, made
        or read in one go (KeyRing.prepare)."""
        subjects: dict[UUID, str] = {}
        new: set[UUID] = set()
        for obj in objs:
            for event in getattr(obj, "pending_events", ()):
                topic = get_topic(type(event))
                if topic in PERSONAL and event.originator_id not in subjects:
                    state = vars(event)
                    subjects[event.originator_id] = subject_of(topic, state, event.originator_id)
                    if event.originator_version == 1:
                        new.add(event.originator_id)
        if subjects:
            self.keys.prepare(subjects, new)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        topic = stored_event.topic
        if needs_key(topic, stored_event.state):
            aggregate_id = UUID(str(stored_event.originator_id))
            found: list[Any] = []

            def key() -> Any:
                if not found:
                    found.append(self.keys.get(aggregate_id))
                return found[0]

            open_sealed(topic, vars(event), key)
        return event
