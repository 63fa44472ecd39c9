"""Plans: what each kind of caller may do. Defaults as in CONTRACT.md; PICHR_PLANS overrides."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from pichr.domain.errors import InvalidInputError

MB = 1000 * 1000
GB = 1000 * MB


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    uploads_per_hour: int
    calls_per_hour: int
    max_file_bytes: int
    quota_bytes: int | None  # None: no quota (anonymous files expire instead)


DEFAULT_PLANS = {
    "anonymous": Plan("anonymous", 5, 100, 10 * MB, None),
    "free": Plan("free", 20, 1_000, 20 * MB, 2 * GB),
    "pro": Plan("pro", 100, 10_000, 100 * MB, 100 * GB),
    "enterprise": Plan("enterprise", 1_000, 100_000, 500 * MB, 2000 * GB),
}
_FIELDS = {
    "uploadsPerHour": "uploads_per_hour",
    "callsPerHour": "calls_per_hour",
    "maxFileBytes": "max_file_bytes",
    "quotaBytes": "quota_bytes",
}


def load_plans(overrides_json: str) -> dict[str, Plan]:
    """Defaults, changed by e.g. PICHR_PLANS='{"free": {"callsPerHour": 5000}}'."""
    plans = dict(DEFAULT_PLANS)
    if not overrides_json.strip():
        return plans
    try:
        overrides = json.loads(overrides_json)
        for name, changes in overrides.items():
            values = {_FIELDS[k]: v for k, v in changes.items()}
            plans[name] = replace(plans[name], **values)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInputError(f"PICHR_PLANS is not valid: {exc!r}", field="PICHR_PLANS") from exc
    return plans
