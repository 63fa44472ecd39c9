"""The unit tier needs no service: it imports nothing of the integration tier, and while it
runs PostgreSQL, Redis, RabbitMQ and any other server are out of reach (tests/unit/conftest.py).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import socket
from pathlib import Path

import psycopg
import pytest

from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from tests.support.no_services import NoServices

TESTS = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] == "tests"]


def test_the_unit_tier_imports_only_the_service_free_support() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}: {name}"
        for folder in ("unit", "support")
        for path in sorted((TESTS / folder).rglob("*.py"))
        for name in imported_test_modules(path)
        if not name.startswith(("tests.support", "tests.unit"))
    ]
    assert offenders == []


@pytest.mark.parametrize(("port", "service"), [(5432, "PostgreSQL"), (6379, "Redis"),
                                               (5672, "RabbitMQ")])  # fmt: skip
def test_a_service_port_is_refused_and_fails_the_test(
    unit_guard: NoServices, port: int, service: str
) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    assert unit_guard.reached == [f"{service} at ('127.0.0.1', {port})"]
    with pytest.raises(pytest.fail.Exception, match=f"a unit test reached {service}"):
        unit_guard.check()  # what the fixture does after each test


def test_a_refusal_the_code_swallows_still_fails_the_test(unit_guard: NoServices) -> None:
    with contextlib.suppress(OSError):  # as a fail-open path would
        socket.create_connection(("127.0.0.1", 6379), timeout=1)
    with pytest.raises(pytest.fail.Exception):
        unit_guard.check()


def test_postgresql_is_refused_at_psycopg_and_under_the_event_store(
    unit_guard: NoServices,
) -> None:
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(POSTGRES, connect_timeout=1)
    with pytest.raises(psycopg.OperationalError):
        asyncio.run(psycopg.AsyncConnection.connect(POSTGRES, connect_timeout=1))
    with pytest.raises(Exception):  # noqa: B017  (eventsourcing wraps it its own way)
        PichrApplication(env=eventsourcing_env(POSTGRES, 1) | {"POSTGRES_CONNECT_TIMEOUT": "1"})
    assert set(unit_guard.reached) == {"PostgreSQL (psycopg connect)"}
    unit_guard.reached.clear()


def test_a_fake_this_process_serves_is_reachable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=1)
        peer, _ = server.accept()
        with client, peer:
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"


def test_a_dead_address_a_test_asks_for_is_refused_quietly(unit_guard: NoServices) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(unit_guard.dead_address(), timeout=1)
    assert unit_guard.reached == []
