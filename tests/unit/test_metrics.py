"""The metrics' labels stay bounded, and each hook counts what happened (no server: the
in-process registry, read back with get_sample_value)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import REGISTRY

from pichr.api.middleware.logs import request_id_middleware
from pichr.api.middleware.metrics import observe
from pichr.application.blobs.port import BlobStoreUnavailableError
from pichr.application.metrics import timed_analysis, timed_render
from pichr.application.settings import Settings
from tests.support.built_app import app_with, built_app


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def call(app: Any, method: str, template: str | None) -> None:
    scope: dict[str, Any] = {"type": "http", "method": method, "path": "/x", "headers": []}

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if template is not None:
            scope["path_template"] = template  # what the router sets when a route matches
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        pass

    counted = request_id_middleware(app or endpoint, observe)
    asyncio.run(counted(scope, receive, send))  # type: ignore[arg-type]


def test_a_matched_route_is_labelled_by_its_template_and_others_as_unmatched() -> None:
    labels = {"method": "GET", "route": "/unit/{file_id}", "status": "204"}
    before = sample("pichr_http_requests_total", **labels)
    call(None, "GET", "/unit/{file_id}")
    call(None, "GET", "/unit/{file_id}")
    assert sample("pichr_http_requests_total", **labels) == before + 2
    unmatched = {"method": "GET", "route": "unmatched", "status": "204"}
    before = sample("pichr_http_requests_total", **unmatched)
    call(None, "GET", None)
    assert sample("pichr_http_requests_total", **unmatched) == before + 1


def test_an_unknown_method_does_not_become_a_label() -> None:
    labels = {"method": "other", "route": "/unit/methods", "status": "204"}
    before = sample("pichr_http_requests_total", **labels)
    call(None, "BREW", "/unit/methods")
    call(None, "PROPFIND", "/unit/methods")
    assert sample("pichr_http_requests_total", **labels) == before + 2
    assert (
        sample("pichr_http_requests_total", method="BREW", route="/unit/methods", status="204") == 0
    )


def test_an_app_that_raises_is_counted_as_a_500() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    labels = {"method": "GET", "route": "unmatched", "status": "500"}
    before = sample("pichr_http_requests_total", **labels)
    with pytest.raises(RuntimeError):
        call(broken, "GET", None)
    assert sample("pichr_http_requests_total", **labels) == before + 1


@dataclass
class Done:
    analyzed: tuple[str, ...]
    failed: tuple[str, ...]


def test_an_analysis_run_is_one_observation_per_file_by_outcome() -> None:
    run = timed_analysis(lambda: Done(("a", "b", "c"), ("d",)))
    analyzed = sample("pichr_analysis_duration_seconds_count", outcome="analyzed")
    failed = sample("pichr_analysis_duration_seconds_count", outcome="failed")
    run()
    assert sample("pichr_analysis_duration_seconds_count", outcome="analyzed") == analyzed + 3
    assert sample("pichr_analysis_duration_seconds_count", outcome="failed") == failed + 1


def test_a_render_is_timed_even_when_it_fails() -> None:
    @timed_render("unit")
    def render(fail: bool) -> bytes:
        if fail:
            raise ValueError("cannot")
        return b"ok"

    assert render(False) == b"ok"
    with pytest.raises(ValueError, match="cannot"):
        render(True)
    assert sample("pichr_render_duration_seconds_count", kind="unit") == 2


def test_each_blob_store_failure_is_counted() -> None:
    before = sample("pichr_blob_store_errors_total", error="unavailable")
    with pytest.raises(BlobStoreUnavailableError):
        raise BlobStoreUnavailableError("down")
    assert sample("pichr_blob_store_errors_total", error="unavailable") == before + 1


def test_metrics_switched_off_mount_no_route() -> None:
    assert "/metrics" in {r.path for r in built_app().routes}
    assert "/metrics" not in {r.path for r in app_with(Settings(metrics=False)).routes}
