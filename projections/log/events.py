"""Stored events as projections read them: raw rows of the log, decoded with msgspec (the
rows are read by projections/log/reader.py).

Projections depend on the event contract (topic and fields), not on the domain classes, so a
rebuild does not reconstruct aggregates' event objects and stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID

import msgspec

from pichr.domain.privacy import SUBJECT_KEYS_TABLE, needs_key, open_sealed

_decode_json = msgspec.json.Decoder(dict[str, Any]).decode
_NUL = b"\\u0000"  # how JSON spells a NUL character inside a string
T = TypeVar("T")
_KEYS = f"SELECT aggregate_id, key FROM {SUBJECT_KEYS_TABLE} WHERE aggregate_id = ANY(%s)"


def _decode(state: bytes) -> dict[str, Any]:
    """The event's fields; NUL characters dropped from its strings, because PostgreSQL text
    cannot hold them and one such event would stop every projection for good."""
    data = _decode_json(state)
    return _without_nul(data) if _NUL in state else data


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


class LoggedEvent:
    """One stored event. Its fields (`data`) are decoded on first use: a projection that
    needs only the topic and the originator of an event never pays for its JSON."""

    __slots__ = ("_data", "_state", "originator_id", "position", "topic", "version")

    def __init__(
        self,
        position: int,
        originator_id: UUID,
        version: int,
        topic: str,
        data: dict[str, Any] | None = None,
        *,
        state: bytes = b"{}",
    ) -> None:
        self.position = position
        self.originator_id = originator_id
        self.version = version
        self.topic = topic
        self._data = data
        self._state = state

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = _decode(self._state)
        return self._data

    def fields(self, decoder: msgspec.json.Decoder[T]) -> T:
        """Only the fields `decoder` names (a TypedDict's): msgspec skips the rest of the JSON
        without building it, several times cheaper than `data` for two fields of a big event.
        An event with NUL characters goes the `data` way (whose strings are cleaned)."""
        if self._data is None and _NUL not in self._state:
            return decoder.decode(self._state)
        return cast("T", self.data)

    @property
    def timestamp(self) -> str:
        stamp = self.data["timestamp"]
        return str(stamp["_data_"] if isinstance(stamp, dict) else stamp)


def unseal(cur: Any, events: list[LoggedEvent]) -> list[LoggedEvent]:
    """Open the sealed personal fields of a batch, with one query for the keys of the batch
    (on the reader's own cursor, so in its snapshot): plaintext while a subject's key exists,
    the erased marker after (domain/privacy.py). Events without sealed fields cost a bytes
    search each, and a batch without any costs no query."""

    def keys_of(ids: list[UUID]) -> dict[UUID, bytes]:
        cur.execute(_KEYS, (ids,), prepare=True, binary=True)
        return {row[0]: bytes(row[1]) for row in cur.fetchall()}

    return unseal_with(keys_of, events)


def unseal_with(
    keys_of: Callable[[list[UUID]], dict[UUID, bytes]], events: list[LoggedEvent]
) -> list[LoggedEvent]:
    """unseal() with the keys from `keys_of` (the in-memory store's key ring, in tests)."""
    sealed = [e for e in events if needs_key(e.topic, e._state)]
    if not sealed:
        return events
    keys = keys_of(list({e.originator_id for e in sealed}))
    for event in sealed:
        event._data = open_sealed(event.topic, event.data, partial(keys.get, event.originator_id))
    return events
