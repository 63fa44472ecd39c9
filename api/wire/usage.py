"""Wire schemas of `GET /usage`, and the answer built from the plan and what is used of it."""

from __future__ import annotations

from pichr.api.limits.limiter import Window
from pichr.api.wire.schemas import CamelStruct
from pichr.application.uploads.plans import Plan


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


def usage_out(
    plan: Plan, used: int, files: int, calls: Window | None, uploads: Window | None
) -> UsageOut:
    """`calls`, `uploads`: the caller's windows after this call (None: limits are off)."""
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
