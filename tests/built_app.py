"""The app `pichr serve` runs, built in the test process to read its route table and its OpenAPI
document (nothing connects or starts until its lifespan runs, which these tests never do)."""

from __future__ import annotations

import functools
import logging
import warnings

from litestar import Litestar

from api.app import create_app
from application.settings import Settings


@functools.cache
def built_app() -> Litestar:
    loggers = {name: logging.getLogger(name) for name in ("pichr", "pgserver")}
    saved = {name: (lg.handlers[:], lg.propagate, lg.level) for name, lg in loggers.items()}
    with warnings.catch_warnings():  # Litestar 3 deprecations: the server's own log shows them
        warnings.simplefilter("ignore")
        app = create_app(Settings(), "postgresql://unused", with_projections=False)
    for name, (handlers, propagate, level) in saved.items():  # create_app configures logging
        loggers[name].handlers[:], loggers[name].propagate = handlers, propagate
        loggers[name].setLevel(level)
    return app
