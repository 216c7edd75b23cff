"""create_app(): the Starlette application, built from the spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from .clock import Clock, SystemClock
from .errors import NotFound, StartupError
from .handlers import Handler
from .handlers.prompts import HANDLERS
from .ids import RandomIds
from .journal import Violations
from .routing import Pipeline, api_routes
from .settings import Settings
from .spec import Spec
from .store import Store


@dataclass
class Mock:
    """Everything one running mock holds, reachable as ``app.state.mock``."""

    settings: Settings
    spec: Spec
    store: Store
    ids: RandomIds
    violations: Violations
    pipeline: Pipeline


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    handlers: Mapping[str, Handler] = HANDLERS,
) -> Starlette:
    """The mock as an ASGI app; a bad spec or handler table stops it here."""
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    _check_handlers(spec, handlers)
    ids = RandomIds(settings.seed)
    store = Store(ids, clock or SystemClock())
    violations = Violations()
    pipeline = Pipeline(spec, store, settings, handlers, violations)
    mock = Mock(settings, spec, store, ids, violations, pipeline)

    async def openapi_json(request: Request) -> Response:
        return Response(spec.json, media_type="application/json")

    async def openapi_yaml(request: Request) -> Response:
        return Response(spec.text, media_type="application/yaml")

    async def not_found(request: Request, exc: Exception) -> Response:
        error = NotFound(f"No route for {request.method} {request.url.path}")
        return pipeline.outside(error, "NotFoundError", request)

    routes = [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/openapi.yaml", openapi_yaml, methods=["GET"]),
        *api_routes(spec, pipeline),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found})
    # A trailing slash is another path in the contract, not a redirect.
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    app.state.mock = mock
    return app


def _check_handlers(spec: Spec, handlers: Mapping[str, Handler]) -> None:
    declared = {operation.operation_id for operation in spec.operations}
    if missing := sorted(declared - set(handlers)):
        raise StartupError(f"{spec.source}: operations without a handler: {', '.join(missing)}")
    if extra := sorted(set(handlers) - declared):
        unknown = ", ".join(extra)
        raise StartupError(f"{spec.source}: handlers for operations not in the spec: {unknown}")
