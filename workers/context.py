"""What a task needs, built once per worker process: the command side, blobs, settings, and the
read models the commands ask (the composition root wires them: scripts/compose.py).

The worker runtime installs it before any message runs; actors read it with `current()`.
Tests build their own TaskContext and call the task functions directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pichr.application.blobs.port import BlobStore
from pichr.application.cleanup.jobs import CleanupCandidates
from pichr.application.moderation.blocklist import Blocklist
from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication


@dataclass
class TaskContext:
    app: PichrApplication
    blobs: BlobStore
    settings: Settings
    database_url: str
    blocklist: Blocklist  # what the analysis screens against (application/moderation/blocklist.py)
    candidates: CleanupCandidates  # what the clean-up jobs look at (application/cleanup/jobs.py)
    # Lazily built, process-wide helpers (e.g. the NSFW model), keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)


_current: TaskContext | None = None


def install(context: TaskContext | None) -> None:
    global _current  # noqa: PLW0603 (one context per process, set at start-up)
    _current = context


def current() -> TaskContext:
    if _current is None:
        raise RuntimeError("no TaskContext installed: start workers through workers.runtime")
    return _current
