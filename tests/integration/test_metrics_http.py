"""/metrics after real traffic: the counts match what was sent, on `pichr serve` and on
`pichr api` with two processes (whichever process answers the scrape); who may read it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.multiproc import gets, scaled_out
from tests.integration.s3server import free_port
from tests.integration.server import (
    Account,
    PichrServer,
    assert_error,
    finalize,
    fresh_server,
    image,
    presign,
    put_bytes,
    upload,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
FILE = "/api/v1/files/{file_id}"


def scrape(server: PichrServer, **headers: str) -> Samples:
    with server.client() as client:
        answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return parsed(answer.text)


def parsed(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, route: str, status: int, method: str = "GET") -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return value(samples, "pichr_http_requests_total", **labels)


@pytest.fixture(scope="module")
def served(pg_admin_url: str) -> Iterator[PichrServer]:
    with fresh_server(pg_admin_url, "metrics", PICHR_TRUSTED_PROXIES="127.0.0.1") as server:
        yield server


def test_requests_uploads_analyses_and_limits_are_counted_as_sent(served: PichrServer) -> None:
    who = served.new_account()
    with served.client() as client:
        files = [upload(client, who, image(seed=i)).file_id for i in range(3)]
        for _ in range(7):
            assert client.get(f"/api/v1/files/{files[0]}", headers=who.headers).status_code == 200
        for _ in range(2):
            assert client.get("/api/v1/files/file_nothing", headers=who.headers).status_code == 404
        assert client.get("/no/such/page").status_code == 404
    samples = scrape(served)
    assert requests(samples, FILE, 200) == 7
    assert requests(samples, FILE, 404) == 2
    assert requests(samples, "unmatched", 404) == 1
    assert requests(samples, "/api/v1/upload/presign", 200, "POST") == 3
    assert requests(samples, "/api/v1/upload/finalize", 200, "POST") == 3
    latency = {"method": "GET", "route": FILE, "status": "200"}
    assert value(samples, "pichr_http_request_duration_seconds_count", **latency) == 7
    assert value(samples, "pichr_uploads_total", outcome="finalized") == 3
    # finalize answered 200: each analysis had landed, with its thumbnail
    assert value(samples, "pichr_analysis_duration_seconds_count", outcome="analyzed") == 3
    assert value(samples, "pichr_render_duration_seconds_count", kind="thumbnail") == 3
    # every /api/v1 call was counted by the limiter: 3 x (presign, PUT, finalize) + 7 + 2
    assert value(samples, "pichr_limiter_decisions_total", bucket="calls", decision="allowed") == 18
    assert (
        value(samples, "pichr_limiter_decisions_total", bucket="uploads", decision="allowed") == 3
    )


def test_the_log_head_and_each_projections_lag_come_from_the_database(
    served: PichrServer,
) -> None:
    who = served.new_account()
    with served.client() as client:
        upload(client, who, image(seed=9))
    samples = scrape(served)
    head = value(samples, "pichr_log_head")
    assert head > 0
    followers = {
        dict(labels)["projection"]: v
        for (name, labels), v in samples.items()
        if name == "pichr_projection_position"
    }
    assert {"file_listing", "auth", "usage", "job_dispatcher"} <= set(followers)
    for name, position in followers.items():
        assert 0 <= position <= head
        assert value(samples, "pichr_projection_lag_events", projection=name) == head - position
        assert value(samples, "pichr_projection_lag_seconds", projection=name) >= 0
    with served.client() as client:
        text = client.get("/metrics").text
    for gauge in ("pichr_jobs_queued", "pichr_jobs_running", "pichr_jobs_dead"):
        assert f"# TYPE {gauge} gauge" in text
    assert not [v for (n, _), v in samples.items() if n == "pichr_jobs_dead"]  # none failed


def test_a_client_behind_a_trusted_proxy_from_elsewhere_is_refused(served: PichrServer) -> None:
    with served.client() as client:
        answer = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert_error(answer, 403)


def test_with_a_token_set_the_metrics_need_it(pg_admin_url: str) -> None:
    with fresh_server(pg_admin_url, "metrics-token", PICHR_METRICS_TOKEN="s3cret") as server:
        with server.client() as client:
            assert_error(client.get("/metrics"), 401)
            wrong = {"Authorization": "Bearer nope"}
            assert_error(client.get("/metrics", headers=wrong), 401)
        samples = scrape(server, Authorization="Bearer s3cret")
    assert value(samples, "pichr_log_head") >= 0
    assert requests(samples, "/metrics", 401) == 2


def test_two_api_processes_count_every_request_whichever_answers_the_scrape(
    pg_admin_url: str,
) -> None:
    worker_port = free_port()
    with scaled_out(
        pg_admin_url, "metrics-api", workers=2, with_worker=True,
        PICHR_WORKER_METRICS_PORT=str(worker_port),
    ) as api:  # fmt: skip
        who = api.new_account()
        file_id = analyzed_upload(api, who)
        answers = gets(api, 40, "/api/v1/files?limit=1", who.headers)
        assert all(a.status_code == 200 for a in answers)
        pids = {p.name.rsplit("_", 1)[-1] for p in (api.data_dir / "metrics").rglob("*.db")}
        scrapes = [scrape(api) for _ in range(4)]
        worker = httpx.get(f"http://127.0.0.1:{worker_port}/metrics", timeout=10).text
    assert file_id
    for samples in scrapes:
        assert requests(samples, "/api/v1/files", 200) == 40
        assert value(samples, "pichr_uploads_total", outcome="finalized") == 1
        api_calls = sum(
            v for (n, labels), v in samples.items()
            if n == "pichr_http_requests_total" and dict(labels)["route"].startswith("/api/v1/")
        )  # fmt: skip
        allowed = {"bucket": "calls", "decision": "allowed"}
        assert value(samples, "pichr_limiter_decisions_total", **allowed) == api_calls
    assert len(pids) >= 2, pids  # both processes answered some of them
    # the analysis ran in `pichr worker`, which serves its own metrics
    samples = parsed(worker)
    assert value(samples, "pichr_analysis_duration_seconds_count", outcome="analyzed") == 1
    assert value(samples, "pichr_render_duration_seconds_count", kind="thumbnail") == 1


def analyzed_upload(api: PichrServer, who: Account) -> str:
    """An upload through the API processes, once the worker has recorded its analysis."""
    with api.client(timeout=30) as client:
        made = presign(client, who, image(seed=3))
        assert put_bytes(client, who, made).status_code == 200
        assert finalize(client, who, made).status_code in (200, 202)
        deadline = time.monotonic() + 60  # stops the poll; not what the test checks
        while time.monotonic() < deadline:
            row = client.get(f"/api/v1/files/{made.file_id}", headers=who.headers).json()
            if row["status"] != "processing":
                break
            time.sleep(0.2)
    assert row["status"] == "ready", row
    return made.file_id
