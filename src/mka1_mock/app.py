"""create_app() and create_proxy_app(): the Starlette applications, built from the specs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from . import connection
from .auth import BearerAuth
from .clock import Clock, MockClock
from .errors import NotFound, StartupError
from .faults import FaultStage, Sleep
from .handlers import Handler
from .handlers.admin import ADMIN_HANDLERS
from .handlers.prompts import HANDLERS
from .har import HarWriter
from .pipeline import Pipeline, journal
from .proxy import Proxy, ProxyOptions
from .redaction import Redactor
from .routing import outside, spec_routes
from .seeding import STATE_DEPTH, admin_checker, read_fault_files, read_fixtures
from .session import Session
from .settings import Settings
from .spec import Spec, admin_spec
from .upstream import Upstream
from .validation import Checker

ADMIN_MAX_BODY_SIZE = 64 * 1024 * 1024
"""Room for a whole exported state."""


class MockApp(Starlette):
    """Starlette, with the MKA1 API's routes tried first and directly: their endpoints answer
    every request themselves (errors and crashes included), so Starlette's middleware has
    nothing to add there. The connection's transport goes in the scope, so a fault can cut it."""

    api_routes: Sequence[Route] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection.capture(scope, send)
        if scope["type"] == "http":
            for route in self.api_routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    await route.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    handlers: Mapping[str, Handler] = HANDLERS,
    checker: Callable[[Spec], Checker] = Checker,
) -> Starlette:
    """The mock as an ASGI app; a bad spec, fixture or handler table stops it here.

    ``clock`` and ``sleep`` replace the wall clock and the waits of delays, for tests;
    ``handlers`` and ``checker`` replace the operations and the validation.
    """
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    admin = admin_spec()
    _check_handlers(spec, handlers)
    _check_handlers(admin, ADMIN_HANDLERS)
    fixtures = read_fixtures(settings.fixtures)
    faults = read_fault_files(settings.fault_files, spec.operations)
    session = Session(settings, spec, fixtures, MockClock(clock), faults)
    api = Pipeline(
        checker(spec),
        handlers,
        max_body_size=settings.max_body_size,
        auth=BearerAuth(settings.api_keys),
        faults=FaultStage(settings.latency_ms, sleep),
        record=journal,
    )

    api_routes = spec_routes(spec, api, session)
    routes = [
        *api_routes,
        _document("/openapi.json", spec.json, "application/json"),
        _document("/openapi.yaml", spec.text, "application/yaml"),
        *_admin_routes(admin, session),
    ]
    app = MockApp(routes=routes, exception_handlers=_not_found(api.checker, session))
    app.api_routes = api_routes
    return _finished(app, session)


class ProxyApp(Starlette):
    """Starlette for the admin API under ``/__mock/``; every other request goes to the proxy."""

    proxy: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/__mock/"):
            await self.proxy(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_proxy_app(
    settings: Settings,
    upstream: Upstream,
    options: ProxyOptions,
    *,
    redactor: Redactor,
    har: HarWriter | None = None,
) -> Starlette:
    """The validating proxy as an ASGI app, with its share of the admin API; it closes the
    upstream's connections and the HAR file when it shuts down."""
    spec = Spec.load(settings.spec_path)
    session = Session(settings, spec, redactor=redactor)
    proxy = Proxy(spec, upstream, session, options, har)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await upstream.close()
            if har is not None:
                har.close()

    routes = _admin_routes(admin_spec().subset(PROXY_ADMIN), session)
    app = ProxyApp(
        routes=routes, exception_handlers=_not_found(proxy.checker, session), lifespan=lifespan
    )
    app.proxy = proxy
    return _finished(app, session)


PROXY_ADMIN = (
    "health",
    "reset",
    "listRequests",
    "clearRequests",
    "listViolations",
    "listCrashes",
    "getReport",
)
"""What the admin API offers in proxy mode: no state, faults or clock, which only a mock has."""


def _admin_routes(admin: Spec, session: Session) -> list[Route]:
    """The admin API: no auth, no faults, no journal, and room for a whole exported state."""
    pipeline = Pipeline(
        admin_checker(),
        ADMIN_HANDLERS,
        max_body_size=ADMIN_MAX_BODY_SIZE,
        max_depth=STATE_DEPTH,
    )
    document = _document("/__mock/openapi.json", admin.json, "application/json")
    return [document, *spec_routes(admin, pipeline, session)]


def _not_found(checker: Checker, session: Session) -> dict[Any, Any]:
    """Starlette's 404 for a path no route has, in the contract's error body."""

    async def not_found(request: Request, exc: Exception) -> Response:
        error = NotFound(f"No route for {request.method} {request.url.path}")
        answer = outside(checker, session, error, "NotFoundError", request.scope)
        return Response(answer.body, answer.status, media_type="application/json")

    return {HTTPException: not_found}


def _finished(app: Starlette, session: Session) -> Starlette:
    # A trailing slash is another path in the contract, not a redirect.
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    app.state.session = session
    return app


def _document(path: str, content: bytes | str, media_type: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return Response(content, media_type=media_type)

    return Route(path, endpoint, methods=["GET"])


def _check_handlers(spec: Spec, handlers: Mapping[str, Handler]) -> None:
    declared = {operation.operation_id for operation in spec.operations}
    if missing := sorted(declared - set(handlers)):
        raise StartupError(f"{spec.source}: operations without a handler: {', '.join(missing)}")
    if extra := sorted(set(handlers) - declared):
        unknown = ", ".join(extra)
        raise StartupError(f"{spec.source}: handlers for operations not in the spec: {unknown}")
