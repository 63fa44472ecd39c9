"""`GET /usage`: the caller's plan, limits, what is left of them, and the storage used."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from msgspec import Struct

from pichr.api.limits.limiter import Window
from pichr.api.middleware.gate import CALLS
from pichr.api.services import Services
from pichr.domain.access import require_scope
from pichr.domain.principal import Principal


class Limits(Struct):
    uploadsPerHour: int  # noqa: N815
    callsPerHour: int  # noqa: N815
    maxFileBytes: int  # noqa: N815
    storageQuotaBytes: int | None  # noqa: N815


class Remaining(Struct):
    calls: int | None
    uploads: int | None
    storageBytes: int | None  # noqa: N815
    resetAt: int | None  # noqa: N815  (unix seconds, when the hourly windows roll)


class Storage(Struct):
    usedBytes: int  # noqa: N815
    files: int


class UsageOut(Struct):
    plan: str
    limits: Limits
    remaining: Remaining
    storage: Storage


@get("/usage", summary="Your plan, limits, remaining allowances and storage used", tags=["usage"])
async def usage(request: Request[Any, Any, Any], who: Principal, services: Services) -> UsageOut:
    if who.is_anonymous:  # any scope will do: the key only needs to be valid
        require_scope(who, "read")
    plan = services.plans.get(who.plan, services.plans["anonymous"])
    await services.fenced("usage")  # a presign does not wait for the usage read model
    used, files = await services.reads.storage_used(who.account_id or "")
    calls: Window | None = request.scope.get("state", {}).get(CALLS)
    uploads = None
    if services.limiter is not None and who.account_id:
        uploads = await services.limiter.peek("uploads", who.account_id, plan.uploads_per_hour)
    quota = plan.quota_bytes
    return UsageOut(
        plan=plan.name,
        limits=Limits(plan.uploads_per_hour, plan.calls_per_hour, plan.max_file_bytes, quota),
        remaining=Remaining(
            calls=calls.remaining if calls else None,
            uploads=uploads.remaining if uploads else None,
            storageBytes=max(0, quota - used) if quota is not None else None,
            resetAt=calls.reset if calls else None,
        ),
        storage=Storage(usedBytes=used, files=files),
    )
