"""`pichr`: run the server roles and operate the instance (accounts, keys, replay)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from importlib.metadata import version
from types import FrameType
from typing import NoReturn

from pichr.api.middleware.logs import configure
from pichr.application.settings import Settings, SettingsError
from pichr.application.uploads.plans import load_plans
from pichr.domain.errors import DomainError
from pichr.scripts import audit, backup, commands, embedded, events, jobs, reanalyze, reports, roles

EPILOG = """\
roles (scale-out): pichr api | pichr projections | pichr worker  (one database, many api)
everything in one process on the embedded default:  pichr serve
configuration: PICHR_* environment variables (see the README)"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pichr",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"pichr {version('pichr')}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in (
        ("serve", "API + projection runners in one process (embedded default)"),
        ("api", "the API alone (PICHR_API_WORKERS processes)"),
    ):
        s = sub.add_parser(name, help=text, description=text)
        s.add_argument("--host", help="listen address (PICHR_HOST, default 127.0.0.1)")
        s.add_argument("--port", type=int, help="listen port (PICHR_PORT, default 8787)")
        s.set_defaults(run=roles.serve if name == "serve" else roles.api)
    sub.add_parser("projections", help="the projection runners alone").set_defaults(
        run=roles.projections
    )
    r = sub.add_parser("replay", help="rebuild read models from the event log, then switch")
    r.add_argument("projection", nargs="?", help="one projection (default: all)")
    r.add_argument("--jobs", type=int, default=2, help="read models rebuilt at once (default 2)")
    r.set_defaults(run=commands.replay)
    commands.add_identity(sub)
    events.add_events(sub, commands.database_url)
    audit.add_audit(sub, commands.database_url)
    reanalyze.add_reanalyze(sub, commands.database_url)
    reports.add_reports(sub, commands.database_url)  # pichr reports ... | pichr moderation report
    jobs.add_jobs(sub)  # pichr worker | pichr jobs failed
    embedded.add_db(sub)  # pichr db stop | pichr db status
    backup.add_backup(sub)  # pichr backup FILE | pichr restore FILE
    return p


def _settings() -> Settings:
    """Read once up front: a bad value stops every command before it starts anything."""
    try:
        settings = Settings.from_env()
        load_plans(settings.plans)  # JSON: checked here too, not first in a server's worker
    except SettingsError as exc:
        _fail(str(exc))
    except DomainError as exc:
        _fail(exc.message)
    configure(settings.log_level)
    for name, near in Settings.unknown_names().items():
        hint = f"; did you mean {near}?" if near else ""
        logging.getLogger("pichr.settings").warning("unknown setting %s ignored%s", name, hint)
    return settings


def _fail(message: str) -> NoReturn:
    sys.stderr.write(json.dumps({"error": "Bad Request", "message": message}) + "\n")
    sys.exit(2)


def _terminate(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`: the embedded server stops


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    owned = embedded.Owned.before_start(_settings())
    signal.signal(signal.SIGTERM, _terminate)
    code = 0
    try:
        code = args.run(args) or 0
    except roles.StartupError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    finally:
        owned.release()
    sys.exit(code)


if __name__ == "__main__":
    main()
