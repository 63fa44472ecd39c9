"""Concurrent PATCHes of one file: each change applies or is refused, none is lost."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.files.commands import FileCommands
from pichr.application.uploads.commands import Uploads
from pichr.domain import ids
from pichr.domain.errors import ConflictError
from pichr.domain.files import File
from pichr.domain.principal import Principal
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import catch_up_all, file_row, make_app, run_together
from tests.support.builders import image_bytes, new_owner, upload

pytestmark = pytest.mark.integration

ROUNDS = 40


def value(name: str, i: int) -> object:
    return [f"{name}{i}"] if name == "tags" else f"{name}{i}"


@dataclass
class Patcher:
    """One client with its own application, changing one field per round at the barrier."""

    database_url: str
    who: Principal
    file_id: str
    barrier: threading.Barrier
    name: str
    applied: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def run(self) -> None:
        app = make_app(self.database_url)
        files = FileCommands(app)
        try:
            for i in range(ROUNDS):
                self.barrier.wait(timeout=30)
                try:
                    files.update(self.who, self.file_id, {self.name: value(self.name, i)})
                except ConflictError:
                    self.refused.append(i)
                else:
                    self.applied.append(i)
        except BaseException as exc:  # reported by the test thread
            self.errors.append(exc)
            self.barrier.abort()
        finally:
            app.close()


@pytest.mark.parametrize(
    "names", [("title", "description"), ("title", "description", "tags")], ids=len
)
def test_concurrent_patches_of_different_fields_lose_no_applied_change(
    database_url: str, names: tuple[str, ...]
) -> None:
    ensure_all(database_url)
    app = make_app(database_url)
    who = new_owner()
    file_id = upload(Uploads(app, InMemoryBlobStore()), who, image_bytes()).file_id
    barrier = threading.Barrier(len(names))
    patchers = [Patcher(database_url, who, file_id, barrier, name) for name in names]
    threads = [threading.Thread(target=p.run) for p in patchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [e for p in patchers for e in p.errors] == []
    catch_up_all(database_url)
    file = app.load(File, ids.FILE, file_id)
    row = file_row(database_url, file_id)
    app.close()
    assert row is not None
    for p in patchers:
        assert sorted(p.applied + p.refused) == list(range(ROUNDS))
        assert p.applied, f"no {p.name} change ever applied"
        # The last applied change of every client is what both sides show: nothing was lost.
        assert getattr(file, p.name) == value(p.name, p.applied[-1])
        assert row[p.name] == value(p.name, p.applied[-1])
    # One event per applied change, none for a refused one: 3 upload events before them.
    assert file.version == 3 + sum(len(p.applied) for p in patchers)


def test_applications_started_together_on_one_database_all_start(database_url: str) -> None:
    # Regression: eventsourcing's start-up DDL failed with "tuple concurrently updated" when
    # several processes (API workers, CLI, projections) started at the same moment.
    ensure_all(database_url)
    for _ in range(5):
        assert run_together(4, lambda: make_app(database_url).close()) == []
