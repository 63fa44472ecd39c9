"""`POST /moderation/report`: anyone may report a file (no key), a few times an hour per address.

csam and terrorism reports withhold the file at once (451 everywhere); the others wait for a
moderator (api/routes/admin_reports.py). The reporter's e-mail is kept apart from the event log.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, post

from pichr.api.commands import BLOCKLIST, FILES, REPORTS, Reads, run, settle
from pichr.api.middleware.gate import client_ip
from pichr.api.services import Services
from pichr.api.wire.error_docs import refusal_specs
from pichr.api.wire.moderation import ReportIn, ReportOut
from pichr.domain.errors import RateLimitedError, UnavailableError
from pichr.domain.principal import Principal

log = logging.getLogger("pichr.moderation")
COMPLIANCE = (
    "Thank you for reporting. Reports are reviewed by priority; content reported as child sexual"
    " abuse material or terrorism is withheld at once while it is reviewed."
)
# A quarantine shows at once (read-your-writes), and so does the report in the queue.
FILED = Reads((FILES, REPORTS))


@post(
    "/moderation/report",
    status_code=201,
    summary="Report content for moderation review (no key needed)",
    description="At most PICHR_REPORTS_PER_HOUR reports per client address per hour (429 with"
    " Retry-After). csam and terrorism quarantine the file at once: 451 on every route.",
    tags=["moderation"],
    responses=refusal_specs(400, 404, 410, 429),
)
async def report_content(
    request: Request[Any, Any, Any], data: ReportIn, who: Principal, services: Services
) -> ReportOut:
    await _count_report(request, services)
    report = services.moderation.reports.file
    filed = await run(
        services, FILED, report, who.actor, data.file_id, data.reason, data.details, data.email
    )
    if filed.quarantined:  # its hashes are refused from now on
        await settle(services, filed.position, BLOCKLIST)
    return ReportOut(
        message="Report submitted successfully",
        report_id=filed.report_id,
        compliance_message=COMPLIANCE,
        status="pending",
    )


async def _count_report(request: Request[Any, Any, Any], services: Services) -> None:
    """The reports bucket of the client's address, beside the general call limit."""
    if services.limiter is None:  # PICHR_RATE_LIMITS=false
        return
    ip = client_ip(request.scope, dict(request.scope["headers"]), services.trusted_proxies)
    limit = services.settings.reports_per_hour
    try:
        window = await services.limiter.hit("reports", "ip:" + ip, limit)
    except Exception as exc:  # the limit store is down: as the gate does
        if services.settings.limits_fail_closed:
            raise UnavailableError("The rate-limit store is unavailable.") from exc
        log.warning("rate-limit store unavailable, not counting the report: %r", exc)
        return
    if not window.allowed:
        raise RateLimitedError(
            "Too many reports from this address.", retry_after=window.retry_after,
            limit="reportsPerHour", allowed=window.limit, resetAt=window.reset,
        )  # fmt: skip
