"""How the recorder retries: a broken connection is worth ten tries, an unreachable database four.

The library retries every connection error ten times (0.2 s apart). That rides out what it
is for: connections that died in a database restart, met one by one as the pool hands them
out. But when the pool cannot get any connection within its wait, the database is down; ten
more waits only hold the caller (the API answers 503 ~12 s late, past a client's patience).
Such a failure is retried three times (the pool may still be replacing connections that died in
a restart: seen to take over two of its waits in CI), then raised.
"""

from __future__ import annotations

from collections.abc import Callable
from random import random
from time import sleep
from typing import TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

T = TypeVar("T")
ATTEMPTS = 10  # the library's
ATTEMPTS_UNREACHABLE = 4
WAIT_S = 0.2  # the library's


def unreachable(exc: BaseException) -> bool:
    """Whether the error is the pool's timeout (no connection could be made in its wait)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, PoolTimeout):
            return True
        seen = seen.__cause__
    return False


def retrying(call: Callable[[], T]) -> T:
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except (InterfaceError, OperationalError) as exc:
            limit = ATTEMPTS_UNREACHABLE if unreachable(exc) else ATTEMPTS
            if attempt >= limit:
                raise
            sleep(WAIT_S * (1 + 0.1 * (random() - 0.5)))  # noqa: S311 (jitter, not a secret)
