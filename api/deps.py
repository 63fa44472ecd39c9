"""Request-scoped dependencies: the services and the calling principal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from pichr.api.services import Services
from pichr.domain.principal import Principal


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


def provide_services(state: State) -> Services:
    return services_of(state)


# Depending on `services` orders the two providers one after the other; independent async
# providers would be resolved concurrently in a task group, which costs more than they do.
async def provide_principal(request: Request[Any, Any, Any], services: Services) -> Principal:
    gated: Principal | None = request.scope.get("state", {}).get("pichr.principal")
    if gated is not None:  # resolved by the gate (api/middleware/gate.py) for every /api/v1 request
        return gated
    return await services.auth.principal(request.headers.get("authorization"))


async def caller(request: Request[Any, Any, Any]) -> tuple[Principal, Services]:
    """The principal and the services without dependency injection: the hottest read routes
    use this, as resolving providers costs more than the rest of their work."""
    return await provide_principal(request, services_of(request.app.state)), services_of(
        request.app.state
    )
