"""create_app(): the Starlette application, built from the two specs."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from .clock import Clock, MockClock
from .errors import NotFound, StartupError
from .handlers import Handler
from .handlers.admin import ADMIN_HANDLERS
from .handlers.prompts import HANDLERS
from .mock import Mock
from .routing import TRANSPORT, Pipeline, spec_routes
from .seeding import read_fault_files, read_fixtures
from .settings import Settings
from .spec import Spec, admin_spec


class MockApp(Starlette):
    """Starlette, plus the server's transport in the scope, so that a fault can cut it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn's send is a method of its request cycle, which holds the transport.
        scope[TRANSPORT] = getattr(getattr(send, "__self__", None), "transport", None)
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    handlers: Mapping[str, Handler] = HANDLERS,
) -> Starlette:
    """The mock as an ASGI app; a bad spec, fixture or handler table stops it here."""
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    admin = admin_spec()
    _check_handlers(spec, handlers)
    _check_handlers(admin, ADMIN_HANDLERS)
    fixtures = read_fixtures(settings.fixtures)
    faults = read_fault_files(settings.fault_files, spec.operations)
    mock = Mock(settings, spec, fixtures, MockClock(clock), faults)
    api = Pipeline(mock, spec, handlers)
    admin_api = Pipeline(mock, admin, ADMIN_HANDLERS, admin=True)

    async def not_found(request: Request, exc: Exception) -> Response:
        error = NotFound(f"No route for {request.method} {request.url.path}")
        return api.outside(error, "NotFoundError", request)

    routes = [
        *spec_routes(spec, api),  # first: the router tries routes in order
        _document("/openapi.json", spec.json, "application/json"),
        _document("/openapi.yaml", spec.text, "application/yaml"),
        _document("/__mock/openapi.json", admin.json, "application/json"),
        *spec_routes(admin, admin_api),
    ]
    app = MockApp(routes=routes, exception_handlers={HTTPException: not_found})
    # A trailing slash is another path in the contract, not a redirect.
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    app.state.mock = mock
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
