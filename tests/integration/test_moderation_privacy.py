"""The reporter's e-mail is personal data: moderators read it through the admin report route,
and nowhere else an analyst can reach holds it (feed, export, any table but report_contacts);
erasing it keeps the report."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.integration.server import PICHR
from tests.integration.server import upload as http_upload
from tests.integration.test_moderation_support import Served, photo

pytestmark = pytest.mark.integration
TABLES = (
    "SELECT schemaname, tablename FROM pg_tables"
    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
)


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[Served]:
    with Served.start(pg_admin_url) as s:
        yield s


def holders(database_url: str, secret: str) -> set[str]:
    """Every table whose rows, as text, hold `secret` (bytea shows as hex: looked for too)."""
    found = set()
    with psycopg.connect(database_url, autocommit=True) as conn:
        for schema, table in conn.execute(TABLES).fetchall():
            name = sql.Identifier(schema, table)
            query = sql.SQL("SELECT coalesce(string_agg(t::text, '|'), '') FROM {} t").format(name)
            row = conn.execute(query).fetchone()
            text = str(row[0]) if row else ""
            if secret in text or secret.encode().hex() in text:
                found.add(table)
    return found


def feed_text(client: httpx.Client, served: Served) -> str:
    pages, after = [], 0
    while True:
        page = client.get("/api/v1/admin/events", params={"after": after, "limit": 1000},
                          headers=served.admin.headers)  # fmt: skip
        assert page.status_code == 200, page.text
        pages.append(page.text)
        if page.json()["next"] == after:
            return "".join(pages)
        after = page.json()["next"]


def export_text(served: Served) -> str:
    done = subprocess.run([PICHR, "events", "export"], env=served.server.env, capture_output=True,
                          timeout=60, check=True)  # fmt: skip
    return done.stdout.decode()


def test_the_reporters_email_is_only_where_moderators_read_it_until_erased(
    served: Served,
) -> None:
    email = f"reporter-{uuid.uuid4().hex[:10]}@example.net"
    marker = f"details-{uuid.uuid4().hex}"  # goes where the e-mail must not: proves each scan
    with served.server.client() as client:
        file_id = http_upload(client, served.owner, photo(11), "image/jpeg").file_id
        filed = served.report(client, file_id, "hate_speech", email=email, details=marker)
        assert filed.status_code == 201, filed.text
        report_id = filed.json()["reportId"]
        url = f"/api/v1/admin/reports/{report_id}"
        one = client.get(url, headers=served.admin.headers).json()
        assert (one["email"], one["hasEmail"], one["details"]) == (email, True, marker)
        assert client.get(url, headers=served.owner.headers).status_code == 403
        queue = client.get("/api/v1/admin/reports", headers=served.admin.headers).text
        assert marker in queue
        assert email not in queue
        feed = feed_text(client, served)
        assert marker in feed
        assert email not in feed
        export = export_text(served)
        assert marker in export
        assert email not in export
        assert holders(served.database_url, marker) >= {"pichr_events", "report_list"}
        assert holders(served.database_url, email) == {"report_contacts"}

        erased = served.server.cli("reports", "erase-email", report_id)
        assert erased["report"]["hasEmail"] is False
        one = client.get(url, headers=served.admin.headers).json()
        assert (one.get("email"), one["hasEmail"], one["status"]) == (None, False, "pending")
        assert holders(served.database_url, email) == set()
        history = served.history(client, file_id)
        assert history[-1]["type"] == "pichr.report.ReporterEmailErased.v1"
        assert history[-1]["actor"] == "operator"
    assert email not in served.server.stderr_tail(10**7)
