"""The Litestar application: routes, error handlers, OpenAPI, and the process lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, ControllerRouterHandler

from api.admin import AdminController
from api.admin_reports import AdminReportsController
from api.albums import AlbumController
from api.audit import AuditController
from api.bench import constant
from api.deps import provide_principal, provide_services
from api.error_docs import document_errors
from api.errors import HANDLERS
from api.feed import events_feed
from api.files import FileController
from api.gate import gate_middleware
from api.health import health, ready
from api.hygiene import answer_refusal, hygiene_middleware
from api.json_body import CheckedRequest
from api.logs import configure, request_id_middleware
from api.moderation import report_content
from api.multipart import MultipartController
from api.openapi_docs import SECURITY, SECURITY_SCHEMES
from api.options import answer_all_methods
from api.pages import album_page, album_page_unlock, file_page
from api.paths import PathCanon
from api.services import running
from api.serving import serve_image, serve_thumbnail
from api.unread import drain_unread
from api.uploads import UploadController
from api.usage import usage
from application.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"  # album and file pages (api/pages.py)


def create_app(settings: Settings, database_url: str, *, with_projections: bool) -> Litestar:
    configure(settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with running(settings, database_url, with_projections) as services:
            app.state.services = services
            yield

    api = Router(
        path="/api/v1",
        route_handlers=[
            UploadController,
            MultipartController,
            FileController,
            AdminController,
            AlbumController,
            usage,
            events_feed,
            AuditController,
            report_content,
            AdminReportsController,
        ],
    )
    handlers: list[ControllerRouterHandler] = [
        api,
        serve_image,
        serve_thumbnail,
        album_page,
        album_page_unlock,
        file_page,
        health,
        ready,
        *([constant] if settings.bench_routes else []),
    ]
    app = Litestar(
        route_handlers=handlers,
        dependencies={
            "who": Provide(provide_principal),
            "services": Provide(provide_services, sync_to_thread=False),
        },
        exception_handlers=HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Pichr API",
            version="1.0.0",
            path="/api/v1/schema",
            description="Self-hosted, event-sourced image hosting (Pichr v1 API).",
            render_plugins=[ScalarRenderPlugin()],
            components=SECURITY_SCHEMES,
            security=SECURITY,
        ),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        request_max_body_size=1024 * 1024,
        request_class=CheckedRequest,  # JSON bodies: too deep or holding a NUL is a 400
        debug=False,
    )
    document_errors(app.openapi_schema)
    answer_all_methods(app)
    around_router(app)
    return app


def around_router(app: Litestar) -> None:
    """First the path is made canonical (api/hygiene.py), so that the request id, the gate, the
    router and the logs all see one spelling; a request refused there still passes the request
    id and the gate (logged, counted). The request id and the gate wrap the router itself, not
    each route: a path or method the router refuses (404/405) is counted, and answered with the
    X-RateLimit-* and X-Request-ID headers, like any other call. An exception handler inside
    them (Litestar's own, with a CORSConfig's middleware when one is set) turns every error into
    a response that passes through their headers; the outer one answers for the gate itself
    (its key lookup failing while PostgreSQL is down: 503). Outermost, no answer leaves a
    half-read body on a connection the client will reuse (api/unread.py)."""

    def behind_gate(endpoint: ASGIApp) -> ASGIApp:
        return request_id_middleware(gate_middleware(endpoint))

    canon = PathCanon(route.path for route in app.routes)
    inner = app.asgi_handler  # the router inside Litestar's exception handler
    tidy = hygiene_middleware(behind_gate(inner), behind_gate(answer_refusal), canon)
    outer = ExceptionHandlerMiddleware(tidy, None, exception_handlers=HANDLERS)
    app.asgi_handler = drain_unread(outer)
