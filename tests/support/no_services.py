"""The unit tier runs as if no service existed (tests/unit/conftest.py installs this).

A connection to anything but a socket this process listens on is refused, as a dead service
would refuse it, and fails the test even when the code under test swallows the refusal (a
fail-open path would otherwise hide it). PostgreSQL is refused at psycopg's connect: libpq
opens its sockets in C, where no Python patch sees them. A test that wants a service down asks
for `dead_address()`: refused like the rest, without failing the test.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import psycopg
import pytest

SERVICES = {5432: "PostgreSQL", 6379: "Redis", 5672: "RabbitMQ"}  # what this machine runs
LOCAL = frozenset({"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"})  # noqa: S104
Key = tuple[str, object]  # ("inet", port) or ("unix", path)


def _key(family: int, address: Any) -> Key | None:
    if family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if address[0] in LOCAL else "remote"
        return (host if host == "remote" else "inet", address[1])
    if family == socket.AF_UNIX:
        return ("unix", address)
    return None  # netlink and the like: not a service


@dataclass
class NoServices:
    listening: set[Key] = field(default_factory=set)  # sockets of this process: fakes
    dead: set[Key] = field(default_factory=set)  # addresses a test asked for, to stand for
    reached: list[str] = field(default_factory=list)  # what tests tried to reach

    def refuse(self, family: int, address: Any) -> None:
        """Raise as a dead service would, unless `address` is one this process listens on."""
        key = _key(family, address)
        if key is None or key in self.listening:
            return
        if key not in self.dead:
            port = key[1] if key[0] != "unix" and isinstance(key[1], int) else 0
            self.reached.append(f"{SERVICES.get(port, 'a server')} at {address!r}")
        raise ConnectionRefusedError(errno.ECONNREFUSED, f"unit tier: nothing at {address!r}")

    def refuse_postgres(self) -> NoReturn:
        self.reached.append("PostgreSQL (psycopg connect)")
        raise psycopg.OperationalError("unit tier: no PostgreSQL")

    def dead_address(self) -> tuple[str, int]:
        """A loopback address where a service is down (a port nothing listens on)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        self.dead.add(("inet", port))
        return "127.0.0.1", port

    def check(self) -> None:
        """Fail the current test if it reached for a service; start the next one clean."""
        reached, self.reached = self.reached, []
        if reached:
            pytest.fail(
                f"a unit test reached {', '.join(reached)}: the unit tier runs without services"
                " (a test that needs one belongs in tests/integration)",
                pytrace=False,
            )


@contextmanager
def no_services() -> Iterator[NoServices]:
    """Patch socket connects and psycopg's connect for as long as the block runs."""
    guard = NoServices()
    with pytest.MonkeyPatch.context() as patch:
        _patch_sockets(patch, guard)
        _patch_psycopg(patch, guard)
        yield guard


def _patch_sockets(patch: pytest.MonkeyPatch, guard: NoServices) -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_listen = socket.socket.listen

    def listen(sock: socket.socket, *backlog: int) -> None:
        real_listen(sock, *backlog)
        key = _key(sock.family, sock.getsockname())
        if key is not None:
            guard.listening.add(key)

    def connect(sock: socket.socket, address: Any) -> None:
        guard.refuse(sock.family, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        try:
            guard.refuse(sock.family, address)
        except ConnectionRefusedError:
            return errno.ECONNREFUSED
        return real_connect_ex(sock, address)

    patch.setattr(socket.socket, "listen", listen)
    patch.setattr(socket.socket, "connect", connect)
    patch.setattr(socket.socket, "connect_ex", connect_ex)


def _patch_psycopg(patch: pytest.MonkeyPatch, guard: NoServices) -> None:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        guard.refuse_postgres()

    async def refuse_async(*args: object, **kwargs: object) -> NoReturn:
        guard.refuse_postgres()

    patch.setattr(psycopg, "connect", refuse)
    patch.setattr(psycopg.Connection, "connect", classmethod(refuse))
    patch.setattr(psycopg.AsyncConnection, "connect", classmethod(refuse_async))
