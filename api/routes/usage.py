"""`GET /usage`: the caller's plan, limits, what is left of them, and the storage used."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from pichr.api.limits.limiter import Window
from pichr.api.middleware.gate import CALLS
from pichr.api.services import Services
from pichr.api.wire.schemas import CamelStruct
from pichr.domain.access import require_scope
from pichr.domain.principal import Principal


class Limits(CamelStruct):
    uploads_per_hour: int
    calls_per_hour: int
    max_file_bytes: int
    storage_quota_bytes: int | None


class Remaining(CamelStruct):
    calls: int | None
    uploads: int | None
    storage_bytes: int | None
    reset_at: int | None  # unix seconds, when the hourly windows roll


class Storage(CamelStruct):
    used_bytes: int
    files: int


class UsageOut(CamelStruct):
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
            storage_bytes=max(0, quota - used) if quota is not None else None,
            reset_at=calls.reset if calls else None,
        ),
        storage=Storage(used_bytes=used, files=files),
    )
