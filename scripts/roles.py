"""The long-running roles: serve (all in one), api, projections."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import threading

from pichr.api.middleware.logs import configure
from pichr.application.files.expiry import ExpirySweeper
from pichr.application.metrics import share_between_processes
from pichr.application.settings import EMBED_PROJECTIONS, Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env, resolve_database_url
from pichr.projections.log.runner import ProjectionRunner
from pichr.projections.queries.for_commands import FileCandidates
from pichr.projections.views.registry import all_projections
from pichr.scripts.bootstrap import ensure_all

log = logging.getLogger("pichr")
# The server's own lines as JSON too, through the same formatter as ours.
GRANIAN_LOGS = {
    "formatters": {"generic": {"()": "pichr.api.middleware.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "formatter": "generic",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {"_granian": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


class StartupError(Exception):
    """The role cannot start (a port in use): the CLI says why and exits 2."""


def check_port(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on a port in use would start and
    silently take half the connections: bind once without it, as a probe."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no user
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"port {port} is in use on {host} (PICHR_PORT)") from None
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _prepare(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None))
    configure(settings.log_level)
    if hasattr(args, "port"):  # the roles that listen
        check_port(settings.host, settings.port)
    url = resolve_database_url(settings.database_url, settings.data_dir)
    ensure_all(url)
    # Worker processes read the same settings from the environment.
    os.environ.update(
        PICHR_DATABASE_URL=url, PICHR_HOST=settings.host, PICHR_PORT=str(settings.port)
    )
    return settings


def _granian(settings: Settings, workers: int) -> None:
    from granian.constants import Interfaces  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    log.info("listening on http://%s:%s", settings.host, settings.port)
    if settings.metrics:  # the server's worker processes add up their metrics (/metrics)
        share_between_processes(settings.data_dir / "metrics" / f"port-{settings.port}")
    Server(
        "pichr.scripts.asgi:app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
        backlog=2048,
        log_dictconfig=GRANIAN_LOGS,
    ).serve()


def serve(args: argparse.Namespace) -> int:
    settings = _prepare(args)
    os.environ[EMBED_PROJECTIONS] = "1"
    _granian(settings, 1)
    return 0


def api(args: argparse.Namespace) -> int:
    settings = _prepare(args)
    os.environ[EMBED_PROJECTIONS] = "0"
    _granian(settings, settings.api_workers)
    return 0


def projections(args: argparse.Namespace) -> int:
    settings = _prepare(args)
    url = os.environ["PICHR_DATABASE_URL"]
    runners = [ProjectionRunner(url, all_projections())]
    threads = [r.start_thread() for r in runners]
    app = PichrApplication(env=eventsourcing_env(url, 2))
    sweeper = ExpirySweeper(FileCandidates(url), app)
    threads.append(sweeper.start_thread())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("projection runners started: %s", ", ".join(r.name for r in runners))
    del settings
    stop.wait()
    for r in runners:
        r.stop()
    sweeper.stopping.set()
    for t in threads:
        t.join(timeout=5)
    return 0
