"""ASGI factories the server imports in each worker process (settings come from the env)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from litestar import Litestar

from pichr.api.app import create_app
from pichr.application.settings import EMBED_PROJECTIONS, Settings
from pichr.application.store.database import resolve_database_url

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """A server worker must not outlive its server process (it would keep its connections)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def app() -> Litestar:
    _die_with_parent()
    settings = Settings.from_env()
    database_url = resolve_database_url(settings.database_url, settings.data_dir)
    with_projections = os.environ.get(EMBED_PROJECTIONS) == "1"
    return create_app(settings, database_url, with_projections=with_projections)
