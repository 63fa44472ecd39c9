"""Request-scoped dependencies: the services and the calling principal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from api.services import Services
from application.principal import Principal


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return await services_of(request.app.state).auth.principal(
        request.headers.get("authorization")
    )


async def provide_services(request: Request[Any, Any, Any]) -> Services:
    return services_of(request.app.state)
