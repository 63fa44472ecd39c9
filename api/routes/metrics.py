"""GET /metrics: Prometheus text, not rate-limited (the gate counts only /api/v1), mounted unless
PICHR_METRICS=false. Who may read it: with PICHR_METRICS_TOKEN set, whoever sends it as a bearer
token; without one, clients on this machine only (the address after trusted proxies, so a
request relayed by a reverse proxy from elsewhere is refused)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from prometheus_client import CONTENT_TYPE_LATEST

from pichr.api.middleware.gate import client_ip
from pichr.api.services import Services
from pichr.api.wire.metrics import database_metrics, process_metrics
from pichr.domain.errors import ForbiddenError, UnauthenticatedError

SCRAPE_EXAMPLE = (
    "# HELP pichr_http_requests_total HTTP requests answered, by method, route template and"
    " status\n"
    "# TYPE pichr_http_requests_total counter\n"
    'pichr_http_requests_total{method="GET",route="/api/v1/files/{file_id}",status="200"} 7.0\n'
    "# HELP pichr_log_head Position of the last event in the log\n"
    "# TYPE pichr_log_head gauge\n"
    "pichr_log_head 1234.0\n"
)


@get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request, upload, analysis, job and projection-lag metrics in the Prometheus"
    " text format. With PICHR_METRICS_TOKEN set it needs `Authorization: Bearer <token>`;"
    " otherwise it answers loopback clients only.",
    tags=["ops"],
    media_type=CONTENT_TYPE_LATEST,
    responses={
        200: ResponseSpec(
            data_container=str,
            media_type=CONTENT_TYPE_LATEST,
            description="Prometheus text exposition format",
            examples=[Example(summary="A scrape", value=SCRAPE_EXAMPLE)],
        )
    },
)
async def metrics(request: Request[Any, Any, Any], services: Services) -> Response[bytes]:
    _check_access(request, services)
    text = await to_thread.run_sync(process_metrics)
    text += database_metrics(await services.ops.state())
    return Response(text, media_type=CONTENT_TYPE_LATEST)


def _check_access(request: Request[Any, Any, Any], services: Services) -> None:
    token = services.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise UnauthenticatedError("The metrics need the PICHR_METRICS_TOKEN bearer token.")
        return
    headers = {k.lower(): v for k, v in request.scope["headers"]}
    ip = client_ip(request.scope, headers, services.trusted_proxies)
    try:
        local = ipaddress.ip_address(ip).is_loopback
    except ValueError:
        local = False
    if not local:
        raise ForbiddenError(
            "The metrics are served to this machine only; set PICHR_METRICS_TOKEN to scrape"
            " them from elsewhere.",
            client=ip,
        )
