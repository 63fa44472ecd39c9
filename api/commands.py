"""One way to run an application command from a controller: off the event loop (eventsourcing
is synchronous), then a bounded wait until the read models the answer comes from have folded
what the command wrote (read-your-writes). Refusals are domain errors, answered by the one
table in api/errors.py; a read model that does not catch up in time is a 503 where the answer
cannot do without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from anyio import to_thread

from pichr.api.services import Services
from pichr.domain.errors import DomainError, NotReadableYetError

P = ParamSpec("P")
T = TypeVar("T")
# The read models (projections) by name.
FILES, ALBUMS, AUTH, REPORTS, BLOCKLIST = "file_listing", "albums", "auth", "reports", "blocklist"


@dataclass(frozen=True, slots=True)
class Reads:
    """The read models a command's answer comes from, and how it waits for them."""

    names: tuple[str, ...] = ()
    head: bool = False  # the command spans several saves: wait for the log's head
    late: str | None = None  # not caught up in time: 503 with this message (else read on)
    recorded: tuple[type[DomainError], ...] = ()  # refusals the command records first


NOTHING = Reads()  # the answer comes from the command itself
ON_FILES, ON_ALBUMS, ON_AUTH = Reads((FILES,)), Reads((ALBUMS,)), Reads((AUTH,))


async def run(
    services: Services, reads: Reads, command: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`command(*args, **kwargs)` in a worker thread, then the wait `reads` describes."""
    try:
        result = await to_thread.run_sync(lambda: command(*args, **kwargs))
    except reads.recorded:
        await services.fenced()  # e.g. a rejected upload: reads show it before the refusal
        raise
    if reads.names:
        position = await services.reads.head() if reads.head else position_of(result)
        await settle(services, position, *reads.names, late=reads.late)
    return result


async def settle(services: Services, position: int, *names: str, late: str | None = None) -> None:
    """Wait (bounded) until each read model in `names` has folded `position`."""
    for name in names:
        if not await services.caught_up(position, name) and late is not None:
            raise NotReadableYetError(late)


def position_of(result: object) -> int:
    """The log position a command's result names: the result itself (an int), the last item
    of a tuple such as `(album_id, position)`, or its `position`."""
    if isinstance(result, tuple):
        result = result[-1]
    position = result if isinstance(result, int) else getattr(result, "position", None)
    if not isinstance(position, int):
        raise TypeError(f"{type(result).__name__} names no log position")
    return position
