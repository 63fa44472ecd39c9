"""The app `pichr serve` runs, built in the test process to read its route table and its OpenAPI
document (nothing connects or starts until its lifespan runs, which these tests never do)."""

from __future__ import annotations

import functools
import logging
import warnings

from litestar import Litestar

from pichr.application.settings import Settings
from pichr.scripts.asgi import build_app

LoggerState = tuple[list[logging.Handler], int, bool, bool]


def _logging() -> dict[logging.Logger, LoggerState]:
    known = logging.root.manager.loggerDict.values()
    loggers = [logging.root, *(lg for lg in known if isinstance(lg, logging.Logger))]
    return {lg: (lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers}


@functools.cache
def built_app() -> Litestar:
    return app_with(Settings())


def app_with(settings: Settings) -> Litestar:
    """The app these settings build, never started (built_app: the defaults)."""
    # Building it configures logging for a server (ours on "pichr", Litestar's on the root,
    # through a thread that writes to the stderr of the moment): the test process keeps its own.
    saved = _logging()
    with warnings.catch_warnings():  # Litestar 3 deprecations: the server's own log shows them
        warnings.simplefilter("ignore")
        app = build_app(settings, "postgresql://unused", with_projections=False)
    for logger, (handlers, level, propagate, disabled) in saved.items():
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled
    return app
