"""Moderation over HTTP against a real `pichr serve`: reports, quarantine on every route,
decisions (remove, restore, restrict), the blocklist, the history, and bad input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.server import (
    Account,
    assert_error,
    field_names,
    finalize,
    presign,
    put_bytes,
)
from tests.integration.server import upload as http_upload
from tests.integration.test_moderation_support import Served, photo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[Served]:
    with Served.start(pg_admin_url) as s:
        yield s


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with served.server.client() as c:
        yield c


def statuses(client: httpx.Client, file_id: str, who: dict[str, str]) -> dict[str, int]:
    """The status of every route that shows the file, its bytes or its page."""
    paths = [f"/api/v1/files/{file_id}", f"/api/v1/files/{file_id}/download", f"/i/{file_id}",
             f"/t/{file_id}", f"/f/{file_id}"]  # fmt: skip
    return {path: client.get(path, headers=who).status_code for path in paths}


def in_album(client: httpx.Client, album_id: str, file_id: str, who: dict[str, str]) -> bool:
    shown = client.get(f"/api/v1/albums/{album_id}", headers=who)
    assert shown.status_code == 200, shown.text
    page = client.get(f"/a/{album_id}", headers=who)
    assert page.status_code == 200
    ids = [f["id"] for f in shown.json()["files"]]
    assert (file_id in ids) == (file_id in page.text)
    return file_id in ids


def listed(client: httpx.Client, file_id: str, owner: Account) -> bool:
    found = client.get("/api/v1/files", params={"limit": 100}, headers=owner.headers).json()
    return file_id in [f["id"] for f in found["files"]]


def test_csam_report_withholds_the_file_everywhere_until_a_moderator_decides(
    served: Served, client: httpx.Client
) -> None:
    owner, stranger = served.owner, served.stranger
    file_id = http_upload(client, owner, photo(1), "image/jpeg").file_id
    album = client.post("/api/v1/albums", json={"title": "trip", "fileIds": [file_id]},
                        headers=owner.headers).json()["id"]  # fmt: skip
    everyone = [{}, stranger.headers, owner.headers]
    assert all(set(statuses(client, file_id, who).values()) == {200} for who in everyone)
    assert in_album(client, album, file_id, {})

    report = served.report(client, file_id, "csam", ip="10.1.0.1")
    assert report.status_code == 201, report.text
    body = report.json()
    assert set(body) == {"message", "reportId", "complianceMessage", "status"}
    assert (body["status"], body["reportId"][:4]) == ("pending", "rep_")
    for who in everyone:
        assert set(statuses(client, file_id, who).values()) == {451}, who
    assert_error(client.get(f"/i/{file_id}"), 451)
    assert not listed(client, file_id, owner)
    assert not in_album(client, album, file_id, {})
    assert not in_album(client, album, file_id, owner.headers)
    events = len(served.history(client, file_id))
    assert_error(client.delete(f"/api/v1/files/{file_id}", headers=owner.headers), 451)
    patched = client.patch(f"/api/v1/files/{file_id}", json={"title": "x"}, headers=owner.headers)
    assert_error(patched, 451)
    assert len(served.history(client, file_id)) == events  # the refusals recorded nothing

    served.resolve(client, body["reportId"], "remove", "confirmed by two moderators")
    for who in everyone:
        assert set(statuses(client, file_id, who).values()) == {410}, who
    appeal = served.report(client, file_id, "other", ip="10.1.0.2", details="owner appeal")
    served.resolve(client, appeal.json()["reportId"], "restore", "appeal granted: a hash clash")
    for who in everyone:
        assert set(statuses(client, file_id, who).values()) == {200}, who
    assert listed(client, file_id, owner)
    assert in_album(client, album, file_id, {})

    history = served.history(client, file_id)
    kinds = [e["type"].split(".")[-2] for e in history]
    assert kinds[-7:] == ["ReportFiled", "FileQuarantined", "ReportResolved", "FileBanned",
                          "ReportFiled", "ReportResolved", "FileRestored"]  # fmt: skip
    decisions = [e for e in history if e["type"].endswith(("ReportResolved.v1", "FileBanned.v1"))]
    assert {(e["actor"], e["reason"]) for e in decisions[:2]} == {
        (served.admin.key_id, "confirmed by two moderators")
    }
    assert all(e["time"] for e in history)
    assert decisions[0]["payload"]["report_id"] == body["reportId"]


def test_restrict_age_restricts_whatever_the_score(served: Served, client: httpx.Client) -> None:
    owner = served.owner
    file_id = http_upload(client, owner, photo(2), "image/jpeg").file_id
    shown = client.get(f"/api/v1/files/{file_id}", headers=owner.headers).json()
    assert shown["ageRestricted"] is False
    report = served.report(client, file_id, "adult_content", ip="10.2.0.1")
    assert client.get(f"/api/v1/files/{file_id}").status_code == 200  # waits for review
    served.resolve(client, report.json()["reportId"], "restrict", "explicit, adults only")
    assert_error(client.get(f"/api/v1/files/{file_id}"), 403)  # safe mode
    assert_error(client.get(f"/i/{file_id}"), 403)
    stranger_off = {**served.stranger.headers, "X-Safe-Mode": "off"}  # its account forbids it
    assert_error(client.get(f"/api/v1/files/{file_id}", headers=stranger_off), 403)
    adult = {**owner.headers, "X-Safe-Mode": "off"}
    shown = client.get(f"/api/v1/files/{file_id}", headers=adult)
    assert shown.status_code == 200
    assert shown.json()["ageRestricted"] is True
    assert not listed(client, file_id, owner)  # excludeNsfw is on by default


def test_a_blocklisted_image_cannot_come_back(served: Served, client: httpx.Client) -> None:
    data = photo(3)
    original = http_upload(client, served.owner, data, "image/jpeg").file_id
    assert served.report(client, original, "terrorism", ip="10.3.0.1").status_code == 201
    again = presign(client, served.stranger, data, "image/jpeg")
    assert put_bytes(client, served.stranger, again).status_code == 200
    refused = finalize(client, served.stranger, again)
    assert_error(refused, 451)
    assert_error(client.get(f"/api/v1/files/{again.file_id}", headers=served.stranger.headers), 451)
    blocked = served.history(client, again.file_id)[-1]
    assert blocked["type"] == "pichr.file.UploadBlocked.v1"
    assert (blocked["payload"]["matched_file_id"], blocked["payload"]["kind"]) == (
        original,
        "exact",
    )

    close = presign(
        client, served.stranger, photo(3, quality=60), "image/jpeg"
    )  # other bytes, same picture
    assert put_bytes(client, served.stranger, close).status_code == 200
    answer = finalize(client, served.stranger, close)
    assert answer.status_code in (202, 451), answer.text  # 202: the analysis came later
    served.eventually(client, close.file_id, 451, served.stranger)
    blocked = served.history(client, close.file_id)[-1]
    assert (blocked["type"], blocked["payload"]["kind"]) == (
        "pichr.file.UploadBlocked.v1",
        "similar",
    )
    other = http_upload(
        client, served.stranger, photo(4), "image/jpeg"
    )  # an unrelated picture is fine
    assert client.get(f"/api/v1/files/{other.file_id}").status_code == 200


def test_a_flood_of_reports_from_one_address_gets_429(served: Served, client: httpx.Client) -> None:
    file_id = http_upload(client, served.owner, photo(5), "image/jpeg").file_id
    answers = [served.report(client, file_id, "spam", ip="10.4.0.1") for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [201] * 10
    details = assert_error(answers[10], 429)
    assert details["limit"] == "reportsPerHour"
    assert int(answers[10].headers["Retry-After"]) > 0
    assert served.report(client, file_id, "spam", ip="10.4.0.2").status_code == 201


def test_bad_reports_and_bad_decisions_are_refused(served: Served, client: httpx.Client) -> None:
    file_id = http_upload(client, served.owner, photo(6), "image/jpeg").file_id
    unknown = served.report(client, "file_" + "1" * 22, "spam", ip="10.5.0.1")
    assert_error(unknown, 404)
    assert "reason" in field_names(assert_error(served.report(client, file_id, "meh"), 400))
    report_id = served.report(client, file_id, "harassment", ip="10.5.0.1").json()["reportId"]
    url = f"/api/v1/admin/reports/{report_id}/resolve"
    admin = served.admin.headers
    for body, field in (({"action": "remove"}, "reason"), ({"action": "remove", "reason": " "},
                        "reason"), ({"action": "nuke", "reason": "x"}, "action")):  # fmt: skip
        assert field in field_names(assert_error(client.post(url, json=body, headers=admin), 400))
    assert_error(client.post(url, json={"action": "dismiss", "reason": "x"},
                             headers=served.owner.headers), 403)  # fmt: skip
    assert_error(client.post(url, json={"action": "dismiss", "reason": "x"}), 401)
    served.resolve(client, report_id, "dismiss", "banter between friends")
    again = client.post(url, json={"action": "remove", "reason": "second thoughts"}, headers=admin)
    assert_error(again, 409)
    nobody = "/api/v1/admin/reports/rep_1111/resolve"
    assert_error(client.post(nobody, json={"action": "dismiss", "reason": "x"}, headers=admin), 404)


def test_the_queue_lists_by_priority_then_age_and_the_cli_agrees(
    served: Served, client: httpx.Client
) -> None:
    file_id = http_upload(client, served.owner, photo(7), "image/jpeg").file_id
    filed = [served.report(client, file_id, r, ip="10.6.0.1").json()["reportId"]
             for r in ("spam", "violence", "copyright")]  # fmt: skip
    urgent = http_upload(client, served.owner, photo(9), "image/jpeg").file_id
    assert served.report(client, urgent, "csam", ip="10.6.0.1").status_code == 201
    queue = client.get("/api/v1/admin/reports", params={"status": "pending", "limit": 100},
                       headers=served.admin.headers).json()  # fmt: skip
    mine = [r for r in queue["reports"] if r["id"] in filed]
    assert [r["id"] for r in mine] == [filed[1], filed[0], filed[2]]
    keys = [(r["priority"], r["createdAt"]) for r in queue["reports"]]
    assert keys == sorted(keys)
    listed_by_cli = served.server.cli("reports", "list", "--status", "pending", "--priority", "1")
    assert filed[1] in [r["id"] for r in listed_by_cli["reports"]]
    assert {r["priority"] for r in listed_by_cli["reports"]} == {1}
    done = served.server.cli("reports", "resolve", filed[0], "--action", "dismiss",
                             "--reason", "not spam")  # fmt: skip
    assert (done["report"]["status"], done["report"]["moderator"]) == ("resolved", "operator")
    stats = served.server.cli("moderation", "report")
    assert stats["priorities"]["0"]["actioned"] >= 1
    assert stats["priorities"]["0"]["maxSeconds"] < 5  # quarantined when filed
    assert stats["priorities"]["2"]["actioned"] >= 1
