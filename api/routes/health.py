"""Liveness and readiness probes."""

from __future__ import annotations

from anyio import to_thread
from litestar import Response, get

from pichr.api.services import Services


@get("/health", summary="Liveness", tags=["ops"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness: the database and the blob store answer", tags=["ops"])
async def ready(services: Services) -> Response[dict[str, object]]:
    checks: dict[str, str] = {}
    try:
        await services.reads.ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        await to_thread.run_sync(services.blobs.check)
        checks["blobs"] = "ok"
    except Exception as exc:
        checks["blobs"] = f"unavailable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ok else "unavailable", "checks": checks}
    if ok:
        return Response(body, status_code=200)
    return Response(
        {"error": "Service Unavailable", "message": "Not ready.", "details": body},
        status_code=503,
    )
