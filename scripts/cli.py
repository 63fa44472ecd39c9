"""`pichr`: run the server roles and operate the instance (accounts, keys, replay)."""

from __future__ import annotations

import argparse
import sys

from pichr.scripts import audit, commands, events, jobs, reanalyze, reports, roles

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
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    sys.exit(args.run(args) or 0)


if __name__ == "__main__":
    main()
