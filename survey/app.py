"""The application factory: read it top to bottom to see everything the app is made of."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.template import TemplateConfig
from sqlalchemy.exc import DBAPIError

from survey.domain import accounts
from survey.settings import Settings
from survey.store import db as store
from survey.web import ROUTES, i18n, pages_auth
from survey.web.csrf import csrf_config, is_page
from survey.web.deps import provide_db, provide_principal

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
log = logging.getLogger("survey")


@get("/health", media_type=MediaType.JSON, sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/health/ready", media_type=MediaType.JSON, sync_to_thread=True)
def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Readiness: 200 when the database answers too; 503 saying what it said when it does not.

    For a load balancer or a monitor: a worker whose database is away takes no records, and the
    tablets keep theirs in the outbox until it is back.
    """
    try:
        with request.app.state.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as err:
        said = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        body = {"status": "unavailable", "database": said}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "30"})
    return Response({"status": "ok", "database": "ok"})


def error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error with its status, as JSON for the API and as a page (or sign-in redirect) for pages.

    Unexpected errors are logged and never leak details.
    """
    if isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
        extra = exc.extra if isinstance(exc.extra, dict) else {}
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        status, detail, extra = HTTP_500_INTERNAL_SERVER_ERROR, "internal error", {}
    if is_page(request.url.path):
        return pages_auth.error_page(request, status, detail)
    return Response({"status": status, "detail": detail, **extra}, status_code=status)


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja over ``templates/``: autoescaped, strict, in the request's language, with the page helpers."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    i18n.install(environment)
    engine = JinjaTemplateEngine.from_environment(environment)
    engine.register_template_callable("lang", i18n.html_lang)
    engine.register_template_callable("other_language", i18n.other_language)
    engine.register_template_callable("current_user", pages_auth.current_user)
    return TemplateConfig(instance=engine)


def create_app(settings: Settings) -> Litestar:
    """The Tanfang app for ``settings``: its own engine, sessions and routes."""
    engine = store.make_engine(settings.database_url)
    store.ensure_schema(engine)
    with store.transaction(store.session_factory(engine)) as db:
        csrf_secret = settings.secret_key or accounts.server_secret(db, "csrf")
    app = Litestar(
        route_handlers=[health, ready, *ROUTES],
        dependencies={
            "db": Provide(provide_db),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        template_config=templates(),
        csrf_config=csrf_config(csrf_secret),
        exception_handlers={Exception: error_response},
        openapi_config=OpenAPIConfig(title="Tanfang", version="1", path="/schema"),
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[engine.dispose],
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = store.session_factory(engine)
    app.state.read_sessions = store.read_session_factory(engine)
    return app
