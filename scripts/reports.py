"""`pichr reports list|resolve|erase-email` and `pichr moderation report` (time to action).

Each prints one JSON object on stdout; errors too (exit code 2). Decisions made here name the
actor `operator`, as the other operator commands do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pichr.application.moderation.decisions import Moderation, time_to_action
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain.errors import DomainError
from pichr.domain.principal import OPERATOR
from pichr.domain.reports import ACTIONS
from pichr.projections.log.reader import wait_until
from pichr.projections.queries.reports import BY_ID, COUNT, LIST, list_args
from pichr.scripts.output import emit as _emit

WAIT_SECONDS = 5.0
Url = Callable[[], str]


def list_queue(args: argparse.Namespace, url: Url) -> int:
    params = list_args(args.status, args.priority, args.limit, args.offset)
    with psycopg.connect(url(), row_factory=dict_row) as conn:
        rows = conn.execute(LIST, params).fetchall()
        counted = conn.execute(COUNT, params).fetchone()
    _emit({"reports": rows, "total": counted["total"] if counted else 0})
    return 0


def _command(url: Url, run: Callable[[Moderation], tuple[int, str]]) -> int:
    """Run one command; then print the report as the read model shows it."""
    database = url()
    app = PichrApplication(env=eventsourcing_env(database, 2))
    try:
        position, report_id = run(Moderation(app))
    except DomainError as exc:
        _emit({"error": type(exc).__name__, "message": exc.message, "details": exc.details})
        return 2
    finally:
        app.close()
    with psycopg.connect(database) as conn:
        visible = wait_until(conn, "reports", position, WAIT_SECONDS)
        row = conn.cursor(row_factory=dict_row).execute(BY_ID, (report_id,)).fetchone()
    _emit({"report": row, "visible": visible})
    return 0


def resolve(args: argparse.Namespace, url: Url) -> int:
    def run(moderation: Moderation) -> tuple[int, str]:
        done = moderation.resolve(OPERATOR.actor, args.report_id, args.action, args.reason)
        return done.position, args.report_id

    return _command(url, run)


def erase_email(args: argparse.Namespace, url: Url) -> int:
    def run(moderation: Moderation) -> tuple[int, str]:
        _, position = moderation.reports.erase_email(OPERATOR.actor, args.report_id)
        return position, args.report_id

    return _command(url, run)


def moderation_report(args: argparse.Namespace, url: Url) -> int:
    _emit(time_to_action(url(), datetime.now(UTC)))
    return 0


def add_reports(sub: Any, url: Url) -> None:
    reports = sub.add_parser("reports", help="the moderation queue").add_subparsers(
        dest="reports_command", required=True
    )
    ls = reports.add_parser("list", help="reports: top priority first, oldest first within it")
    ls.add_argument("--status", choices=("pending", "resolved"), default=None)
    ls.add_argument("--priority", type=int, choices=(0, 1, 2), default=None)
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--offset", type=int, default=0)
    ls.set_defaults(run=lambda args: list_queue(args, url))
    r = reports.add_parser("resolve", help="decide on a report (the reason is kept forever)")
    r.add_argument("report_id")
    r.add_argument("--action", required=True, help=" | ".join(ACTIONS))
    r.add_argument("--reason", required=True)
    r.set_defaults(run=lambda args: resolve(args, url))
    e = reports.add_parser("erase-email", help="erase the reporter's e-mail (the report stays)")
    e.add_argument("report_id")
    e.set_defaults(run=lambda args: erase_email(args, url))
    moderation = sub.add_parser("moderation", help="moderation statistics").add_subparsers(
        dest="moderation_command", required=True
    )
    m = moderation.add_parser(
        "report", help="time from report to first action per priority (median, p90, max), JSON"
    )
    m.set_defaults(run=lambda args: moderation_report(args, url))
