"""The Litestar application: routes, error handlers, OpenAPI. The process's lifespan (what
builds the Services and starts with them) comes from the composition root (scripts/lifespan.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, ControllerRouterHandler

from pichr.api.deps import provide_principal, provide_services
from pichr.api.errors import HANDLERS
from pichr.api.middleware.cors import cors_config, cors_middleware
from pichr.api.middleware.gate import gate_middleware
from pichr.api.middleware.hygiene import answer_refusal, hygiene_middleware
from pichr.api.middleware.json_body import CheckedRequest
from pichr.api.middleware.logs import Observe, configure, request_id_middleware
from pichr.api.middleware.metrics import observe
from pichr.api.middleware.paths import PathCanon
from pichr.api.middleware.unread import drain_unread
from pichr.api.routes.admin import AdminController
from pichr.api.routes.admin_reports import AdminReportsController
from pichr.api.routes.albums import AlbumController
from pichr.api.routes.audit import AuditController
from pichr.api.routes.baseline import constant
from pichr.api.routes.feed import events_feed
from pichr.api.routes.files import FileController
from pichr.api.routes.health import health, ready
from pichr.api.routes.metrics import metrics
from pichr.api.routes.moderation import report_content
from pichr.api.routes.multipart import MultipartController
from pichr.api.routes.options import answer_all_methods
from pichr.api.routes.pages import album_page, album_page_unlock, file_page
from pichr.api.routes.serving import serve_image, serve_thumbnail
from pichr.api.routes.upload_form import upload_form
from pichr.api.routes.uploads import UploadController
from pichr.api.routes.usage import usage
from pichr.api.wire.docs_page import PackagedScalar, docs_router
from pichr.api.wire.error_docs import document_errors
from pichr.api.wire.openapi_docs import SECURITY, SECURITY_SCHEMES
from pichr.application.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"  # album and file pages (api/routes/pages.py)
# Puts the process's Services in `app.state.services` (api/deps.py reads them there).
Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def create_app(settings: Settings, lifespan: Lifespan) -> Litestar:
    configure(settings.log_level)
    api = Router(
        path="/api/v1",
        route_handlers=[
            UploadController,
            upload_form,
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
        *([metrics] if settings.metrics else []),
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
            render_plugins=[PackagedScalar()],  # no CDN: api/docs_assets/
            openapi_router=docs_router(),
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
    around_router(app, cors_config(settings.cors_origins), observe if settings.metrics else None)
    return app


def around_router(
    app: Litestar, cors: CORSConfig | None = None, metrics: Observe | None = None
) -> None:
    """First the path is made canonical (api/middleware/hygiene.py), so that the request id, the
    gate, the router and the logs all see one spelling; a request refused there still passes the
    request id and the gate (logged, counted). The request id and the gate wrap the router itself,
    not each route: a path or method the router refuses (404/405) is counted, and answered with the
    X-RateLimit-* and X-Request-ID headers, like any other call. An exception handler inside
    them (Litestar's own) turns every error into a response that passes through their headers;
    the outer one answers for the gate itself (its key lookup failing while PostgreSQL is down:
    503). Around all of them Litestar's CORS middleware (when PICHR_CORS_ORIGINS is set, on the
    paths CORS applies to, api/middleware/cors.py) answers preflights before anything counts them
    and adds its headers to every answer, refusals included. Outermost, no answer leaves a
    half-read body on a connection the client will reuse (api/middleware/unread.py). The
    request id's middleware also hands each answer to `metrics` (api/middleware/metrics.py)."""

    def behind_gate(endpoint: ASGIApp) -> ASGIApp:
        return request_id_middleware(gate_middleware(endpoint), metrics)

    canon = PathCanon(route.path for route in app.routes)
    inner = app.asgi_handler  # the router inside Litestar's exception handler
    tidy = hygiene_middleware(behind_gate(inner), behind_gate(answer_refusal), canon)
    outer = ExceptionHandlerMiddleware(tidy, None, exception_handlers=HANDLERS)
    app.asgi_handler = drain_unread(cors_middleware(outer, cors))
