"""`pichr audit file FILE_ID`: a file's full history as JSON lines, oldest first."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from pichr.application.moderation.audit import file_history
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain.errors import DomainError
from pichr.scripts.compose import report_index
from pichr.scripts.output import emit


def audit_file(args: argparse.Namespace, url: Callable[[], str]) -> int:
    app = PichrApplication(env=eventsourcing_env(url(), 1))
    try:
        for entry in file_history(app, args.file_id, report_index(app)):
            emit(entry)
    except DomainError as exc:
        emit({"error": "Not Found", "message": exc.message})
        return 2
    finally:
        app.close()
    return 0


def add_audit(sub: Any, url: Callable[[], str]) -> None:
    audit = sub.add_parser("audit", help="histories for moderators and auditors").add_subparsers(
        dest="audit_command", required=True
    )
    f = audit.add_parser("file", help="every event of a file, in order, as JSON lines")
    f.add_argument("file_id")
    f.set_defaults(run=lambda args: audit_file(args, url))
