"""Shared by the moderation HTTP tests: a server that believes X-Forwarded-For from loopback
(so each test reports from an address of its own), its accounts, and short-hand calls."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.integration.pg import fresh_database
from tests.integration.server import Account, PichrServer, run_server, scratch_dir
from tests.support.photos import photo_jpeg


def photo(seed: int, quality: int = 88) -> bytes:
    """A photo-like JPEG: its perceptual hash differs from one seed to the next (solid colours
    would all share one, and a blocklisted one would then block every other upload)."""
    return photo_jpeg((320, 240), seed, quality)


@dataclass(frozen=True)
class Served:
    server: PichrServer
    database_url: str
    admin: Account
    owner: Account
    stranger: Account

    @classmethod
    @contextlib.contextmanager
    def start(cls, admin_url: str, **env: str) -> Iterator[Served]:
        with contextlib.ExitStack() as stack:
            data_dir = stack.enter_context(scratch_dir("moderation"))
            url = stack.enter_context(fresh_database(admin_url))
            server = stack.enter_context(
                run_server(url, data_dir, None, PICHR_TRUSTED_PROXIES="127.0.0.1", **env)
            )
            admin = server.new_account(scopes="admin")
            owner = server.new_account(adult=True)  # its keys may turn safe mode off
            yield cls(server, url, admin, owner, server.new_account())

    def report(
        self, client: httpx.Client, file_id: str, reason: str, ip: str = "10.0.0.1", **extra: Any
    ) -> httpx.Response:
        body = {"fileId": file_id, "reason": reason, **extra}
        return client.post("/api/v1/moderation/report", json=body, headers={"X-Forwarded-For": ip})

    def resolve(self, client: httpx.Client, report_id: str, action: str, reason: str) -> None:
        answer = client.post(
            f"/api/v1/admin/reports/{report_id}/resolve",
            json={"action": action, "reason": reason},
            headers=self.admin.headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["report"]["status"] == "resolved"

    def history(self, client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
        found = client.get(f"/api/v1/admin/files/{file_id}/history", headers=self.admin.headers)
        assert found.status_code == 200, found.text
        events: list[dict[str, Any]] = found.json()["events"]
        return events

    def eventually(
        self, client: httpx.Client, file_id: str, status: int, who: Account, within: float = 20
    ) -> None:
        deadline = time.monotonic() + within
        while True:
            got = client.get(f"/api/v1/files/{file_id}", headers=who.headers).status_code
            if got == status:
                return
            assert time.monotonic() < deadline, f"{file_id}: still {got}, not {status}"
            time.sleep(0.1)
