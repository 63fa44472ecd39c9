"""Request counts and latencies by route template, method and status, and the rate limiter's
decisions: the API's Prometheus metrics (the exposition is api/routes/metrics.py). The request
id's middleware, which times every answer for the access log already, hands each one here.

Labels are bounded: the route is the template the router matched (`/i/{file_id}`), or
`unmatched` for a path no route takes (a 404, a refusal of api/middleware/hygiene.py); a
method outside the standard ones is `other`; an answer never started (the app raised) is a
500. No id, key or account ever becomes a label.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter(
    "pichr_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "pichr_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LIMITER = Counter(
    "pichr_limiter_decisions_total",
    "Rate-limit decisions by bucket (calls, uploads) and decision (allowed, refused,"
    " store_down: the limit store failed and the call went on, or was refused with"
    " PICHR_LIMITS_FAIL_CLOSED)",
    ["bucket", "decision"],
)
# (method, route, status) -> its two series: the client's label lookup is the dearest part.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def limiter_decided(bucket: str, decision: str) -> None:
    LIMITER.labels(bucket, decision).inc()


def observe(method: str, route: str | None, status: int, seconds: float) -> None:
    """One answer (api/middleware/logs.py request_id_middleware calls it for every request,
    those the router refuses too). `route`: the template the router matched, if it did."""
    key = (method if method in METHODS else "other", route or UNMATCHED, status or 500)
    children = _children.get(key)
    if children is None:
        label = (key[0], key[1], str(key[2]))
        children = _children[key] = (REQUESTS.labels(*label), LATENCY.labels(*label))
    children[0].inc()
    children[1].observe(seconds)
