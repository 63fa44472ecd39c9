"""What the hostile-input tests share: real things to aim at, a valid body for each route, the
event log's command rows, and the one verdict every hostile request must earn."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from pichr.domain import ids
from pichr.domain.log import EVENTS_TABLE
from tests.integration.route_table import BOOKKEEPING, Endpoint
from tests.integration.server import Account, PichrServer, image, presign, upload

MIB = 1024 * 1024


@dataclass(frozen=True)
class World:
    boss: Account  # every scope, on a plan whose limits these modules cannot exhaust
    victim: str  # an account the boss's admin routes act on
    real: dict[str, str]  # path values that exist (the boss's file, album, report...)
    anonymous_file: str  # uploaded without a key: deletable with its X-Delete-Token
    database_url: str

    def body(self, endpoint: Endpoint) -> dict[str, Any]:
        """A body each route accepts as valid, so a hostile value is the only thing wrong."""
        name = str(endpoint.data) if endpoint.template.startswith("/a/") else endpoint.data.__name__
        fake = {
            k: ids.to_public(p, ids.new_uuid()) for k, p in (("f", ids.FILE), ("u", ids.UPLOAD))
        }
        bodies: dict[str, dict[str, Any]] = {
            "PresignIn": {"filename": "a.png", "mime": "image/png", "bytes": 100},
            "FinalizeIn": {"uploadId": fake["u"], "fileId": fake["f"]},
            "MultipartInitIn": {
                "filename": "a.png",
                "mime": "image/png",
                "totalBytes": 10 * MIB,
                "partSize": 5 * MIB,
            },
            "MultipartCompleteIn": {
                "uploadId": fake["u"],
                "fileId": fake["f"],
                "parts": [{"partNumber": 1, "etag": "e"}],
            },
            "PatchIn": {"title": "t"},
            "AccountIn": {"email": "someone@example.test"},
            "AccountPatchIn": {"plan": "pro", "safeModeOptional": True},
            "KeyIn": {"accountId": self.victim, "scopes": ["read"], "name": "n"},
            "AlbumIn": {"title": "t", "fileIds": [self.real["file_id"]]},
            "AlbumPatchIn": {"title": "t"},
            "AlbumFilesIn": {"fileIds": [self.real["file_id"]]},
            "ReportIn": {"fileId": self.real["file_id"], "reason": "spam"},
            "ResolveIn": {"action": "dismiss", "reason": "r"},
            "EraseIn": {"reason": "an erasure request"},
            "dict[str, str]": {"password": "p"},  # the album page's form
        }
        assert name in bodies, f"{endpoint}: add a valid body for {name} to World.body"
        return bodies[name]


def build_world(server: PichrServer) -> World:
    boss = server.new_account("read,upload,write,admin", plan="enterprise")
    victim = server.new_account().account_id
    with server.client() as client:
        file_id = upload(client, boss, image(seed=61)).file_id
        album = client.post(
            "/api/v1/albums", json={"title": "aimed at", "fileIds": [file_id]}, headers=boss.headers
        )
        report = client.post(
            "/api/v1/moderation/report",
            json={"fileId": file_id, "reason": "spam"},
            headers=boss.headers,
        )
        assert album.status_code == 201, album.text
        assert report.status_code == 201, report.text
        anonymous = presign(client, None, image(seed=62)).file_id
        opened = presign(client, boss, image(seed=63)).presign  # an upload that stays pending
    real = {
        "file_id": file_id,
        "album_id": album.json()["id"],
        "report_id": report.json()["reportId"],
        "upload_id": opened["uploadId"],
        "account_id": victim,
        "key_id": boss.key_id,
        "number": "1",
        "path": "openapi.json",
        "name": "pichr-docs.js",
    }
    return World(boss, victim, real, anonymous, server.env["PICHR_DATABASE_URL"])


class EventLog:
    """Counts the command rows of the event log (one connection for the whole module)."""

    def __init__(self, database_url: str) -> None:
        self._conn = psycopg.connect(database_url, autocommit=True)
        skip = " AND ".join(["topic NOT LIKE %s"] * len(BOOKKEEPING))
        self._sql = f"SELECT count(*) FROM {EVENTS_TABLE} WHERE {skip}"
        self._args = [prefix + "%" for prefix in BOOKKEEPING]
        self.seen = self.count()

    def count(self) -> int:
        row = self._conn.execute(self._sql, self._args).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    def grew(self) -> bool:
        before, self.seen = self.seen, self.count()
        return self.seen != before

    def close(self) -> None:
        self._conn.close()


def verdict(answer: httpx.Response, log: EventLog, *, must_refuse: bool = True) -> str | None:
    """What is wrong with the answer to a hostile request, or None: never a 5xx, a 4xx when it
    must refuse, any 4xx in the error format (an HTML page on the browser routes /a and /f),
    and nothing written to the event log."""
    wrong = []
    if answer.status_code >= 500 or (must_refuse and answer.status_code < 400):
        wrong.append(f"status {answer.status_code}")
    has_body = answer.request.method != "HEAD"  # a HEAD answer carries no body (RFC 9110 9.3.2)
    if answer.status_code >= 400 and has_body and not _error_format(answer):
        wrong.append("not in the error format")
    if log.grew():
        wrong.append("an event was written")
    return f"{', '.join(wrong)}: {answer.text[:160]!r}" if wrong else None


def _error_format(answer: httpx.Response) -> bool:
    kind = answer.headers.get("content-type", "")
    if kind.startswith("text/html"):
        return bool(answer.text)
    try:
        body = answer.json()
    except json.JSONDecodeError:
        return False
    return (
        isinstance(body, dict)
        and set(body) == {"error", "message", "details"}
        and isinstance(body["details"], dict)
    )
