"""`pichr accounts erase ACCOUNT_ID`: erase an account's personal data (docs/privacy.md)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any

from pichr.application.settings import Settings
from pichr.application.store.app import PichrApplication
from pichr.application.store.database import eventsourcing_env
from pichr.domain.errors import DomainError
from pichr.domain.principal import OPERATOR
from pichr.scripts.output import emit


def erase(args: argparse.Namespace, url: Callable[[], str]) -> int:
    from pichr.application.blobs.factory import blob_store_for  # noqa: PLC0415  (heavy: only
    from pichr.scripts.compose import erasure  # noqa: PLC0415  when the command runs)

    database_url = url()
    app = PichrApplication(env=eventsourcing_env(database_url, 2))
    try:
        blobs = blob_store_for(Settings.from_env())
        report = erasure(app, blobs, database_url).erase(
            OPERATOR.actor, args.account_id, args.reason
        )
    except DomainError as exc:
        emit({"error": type(exc).__name__, "message": exc.message, "details": exc.details})
        return 2
    finally:
        app.close()
    emit(dataclasses.asdict(report))  # camelCase keys, as the admin route answers
    return 0


def add_erase(accounts: Any, url: Callable[[], str]) -> None:
    e = accounts.add_parser(
        "erase",
        help="erase an account's personal data for good (GDPR art. 17; docs/privacy.md)",
        description="Deletes the account (if not yet deleted), its albums and files (bytes"
        " purged; quarantined or banned files' bytes kept as evidence, listed as evidenceKept),"
        " records AccountErased, deletes the account's subject keys (its personal fields then"
        " read as [erased] everywhere) and rebuilds the read models holding personal data.",
    )
    e.add_argument("account_id")
    e.add_argument("--reason", required=True, help="why (recorded; no personal data here)")
    e.set_defaults(run=lambda args: erase(args, url))
