"""The ASGI factory the server imports in each worker process (settings come from the env), and
the app as each role builds it: api/app.py's create_app with this root's lifespan."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from litestar import Litestar

from pichr.api.app import create_app
from pichr.application.settings import EMBED_PROJECTIONS, Settings
from pichr.application.store.database import resolve_database_url
from pichr.scripts.lifespan import lifespan

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """A server worker must not outlive its server process (it would keep its connections)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def build_app(settings: Settings, database_url: str, *, with_projections: bool) -> Litestar:
    """Nothing connects or starts until the app's lifespan runs."""
    return create_app(settings, lifespan(settings, database_url, with_projections=with_projections))


def app() -> Litestar:
    _die_with_parent()
    settings = Settings.from_env()
    database_url = resolve_database_url(settings.database_url, settings.data_dir)
    with_projections = os.environ.get(EMBED_PROJECTIONS) == "1"
    return build_app(settings, database_url, with_projections=with_projections)
