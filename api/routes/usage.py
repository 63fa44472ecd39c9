"""`GET /usage`: the caller's plan, limits, what is left of them, and the storage used."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from pichr.api.limits.limiter import Window
from pichr.api.middleware.gate import CALLS
from pichr.api.services import Services
from pichr.api.wire.usage import UsageOut, usage_out
from pichr.domain.access import require_scope
from pichr.domain.principal import Principal


@get("/usage", summary="Your plan, limits, remaining allowances and storage used", tags=["usage"])
async def usage(request: Request[Any, Any, Any], who: Principal, services: Services) -> UsageOut:
    if who.is_anonymous:  # any scope will do: the key only needs to be valid
        require_scope(who, "read")
    plan = services.plans.get(who.plan, services.plans["anonymous"])
    await services.fenced("usage")  # a presign does not wait for the usage read model
    used, files = await services.reads.storage_used(who.account_id or "")
    calls: Window | None = request.scope.get("state", {}).get(CALLS)  # counted by the gate
    uploads = None
    if services.limiter is not None and who.account_id:
        uploads = await services.limiter.peek("uploads", who.account_id, plan.uploads_per_hour)
    return usage_out(plan, used, files, calls, uploads)
