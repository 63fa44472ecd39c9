"""The embedded PostgreSQL's life: who started it stops it, and `pichr db stop|status`.

pgserver leaves its server running when the process that started it ends (we ask it to: the
CLI shares the server of a running `pichr serve`). So each entry point notes whether a server
was already up, and a process that started one stops it when it ends. As root, pgserver runs
PostgreSQL as the `pgserver` user: pg_ctl must run as that user too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pichr.application.settings import Settings
from pichr.scripts.output import emit as _emit

PG_USER_AS_ROOT = "pgserver"


def pgdata_of(settings: Settings) -> Path | None:
    """The embedded server's directory, or None when PICHR_DATABASE_URL names a server."""
    return None if settings.database_url else (settings.data_dir / "pg").resolve()


def running_pid(pgdata: Path) -> int | None:
    """The postmaster's pid when a server runs on `pgdata`."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process (pgserver's, when we are not root)
        return True
    return True


def other_users(pgdata: Path) -> list[int]:
    """Live processes besides this one that joined the server (pgserver's list of handles)."""
    try:
        pids = json.loads((pgdata / ".handle_pids.json").read_text())
    except (OSError, ValueError):
        return []
    return [p for p in pids if isinstance(p, int) and p != os.getpid() and _alive(p)]


def stop(pgdata: Path) -> bool:
    """Stop the server on `pgdata` (fast: sessions are ended); False when none was running."""
    if running_pid(pgdata) is None:
        return False
    from pgserver._commands import POSTGRES_BIN_PATH  # noqa: PLC0415  (embedded only)

    user = PG_USER_AS_ROOT if os.geteuid() == 0 else None
    subprocess.run(  # noqa: S603  (pgserver's own pg_ctl, our arguments)
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        check=True,
        capture_output=True,
        user=user,
        timeout=60,
    )
    return True


@dataclass
class Owned:
    """Whether this process found the embedded server down (and so must stop it)."""

    pgdata: Path | None
    started_here: bool

    @classmethod
    def before_start(cls, settings: Settings) -> Owned:
        pgdata = pgdata_of(settings)
        return cls(pgdata, pgdata is not None and running_pid(pgdata) is None)

    def release(self) -> None:
        """Stop the server this process started, unless another process still uses it."""
        if self.pgdata is not None and self.started_here and not other_users(self.pgdata):
            stop(self.pgdata)


def _db(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    pgdata = pgdata_of(settings)
    if pgdata is None:
        _emit(
            {"error": "Bad Request", "message": "PICHR_DATABASE_URL is set: no embedded database."}
        )
        return 2
    if args.db_action == "stop":
        _emit({"dataDir": str(pgdata), "stopped": stop(pgdata)})
    else:
        _emit({"dataDir": str(pgdata), "running": running_pid(pgdata) is not None})
    return 0


def add_db(sub: Any) -> None:
    db = sub.add_parser("db", help="the embedded PostgreSQL (PICHR_DATA_DIR/pg)").add_subparsers(
        dest="db_action", required=True
    )
    db.add_parser("stop", help="stop an embedded PostgreSQL left running").set_defaults(run=_db)
    db.add_parser("status", help="whether the embedded PostgreSQL runs").set_defaults(run=_db)
