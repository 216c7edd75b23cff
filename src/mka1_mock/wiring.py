"""What the mock's and the proxy's apps share: the admin API (and who may use it), the 404 in
the contract's body, the documents served, and CORS."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from .auth import anyone
from .errors import Detail, NotFound, Unauthorized
from .handlers.admin import ADMIN_HANDLERS
from .pipeline import Auth, Pipeline
from .routing import SESSION, outside, spec_routes
from .seeding import STATE_DEPTH, admin_checker
from .session import Session
from .spec import Spec
from .validation import Checker

ADMIN_MAX_BODY_SIZE = 64 * 1024 * 1024
"""Room for a whole exported state."""
EXPOSED = ["Retry-After", "X-Mock-Violations"]
"""Response headers a browser's script may read."""


class AdminToken:
    """The admin API's auth when ``--admin-token`` is set: that bearer token, or a 401."""

    def __init__(self, token: str) -> None:
        self.token = token.encode()

    def __call__(self, headers: Mapping[str, str]) -> None:
        value = headers.get("authorization")
        scheme, _, token = (value or "").partition(" ")
        given = token.strip().encode("latin-1")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self.token):
            problem = "is missing" if value is None else "does not carry the admin token"
            raise Unauthorized(
                f"The Authorization header {problem}: the admin API of this mock needs "
                "Authorization: Bearer <the --admin-token it was started with>",
                param="Authorization",
                details=(Detail("header.Authorization", problem),),
            )


def admin_auth(token: str | None) -> Auth:
    """Who may use the admin API: with ``--admin-token``, only its bearer; else anyone."""
    return AdminToken(token) if token else anyone


def admin_routes(admin: Spec, session: Session, auth: Auth = anyone) -> list[Route]:
    """The admin API: no faults, no journal, and room for a whole exported state; with a
    token, nothing without it (the documents included)."""
    pipeline = Pipeline(
        admin_checker(),
        ADMIN_HANDLERS,
        max_body_size=ADMIN_MAX_BODY_SIZE,
        max_depth=STATE_DEPTH,
        auth=auth,
    )
    served = document("/__mock/openapi.json", admin, "json", auth, pipeline.checker, session)
    return [served, *spec_routes(admin, pipeline, session)]


def document(
    path: str,
    spec: Spec,
    form: str,
    auth: Auth = anyone,
    checker: Checker | None = None,
    session: Session | None = None,
) -> Route:
    """A spec served as JSON or YAML; under a session's prefix its ``servers`` name that
    session's base URL, so a tool such as Schemathesis runs against that session."""

    async def endpoint(request: Request) -> Response:
        try:
            auth(request.headers)
        except Unauthorized as error:
            assert checker is not None and session is not None
            answer = outside(checker, session, error, "Error", request.scope)
            return Response(answer.body, answer.status, media_type="application/json")
        root = request.scope.get("root_path", "")
        if form == "yaml" and not root:
            return Response(spec.text, media_type="application/yaml")
        if not root:
            return Response(spec.json, media_type="application/json")
        document = spec.document | {"servers": [{"url": root}]}
        if form == "yaml":
            import yaml

            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
            return Response(text, media_type="application/yaml")
        return Response(json.dumps(document, ensure_ascii=False), media_type="application/json")

    return Route(path, endpoint, methods=["GET"])


def not_found(checker: Checker, session: Session) -> dict[Any, Any]:
    """Starlette's 404 for a path no route has, in the contract's error body."""

    async def handler(request: Request, exc: Exception) -> Response:
        error = NotFound(f"No route for {request.method} {request.url.path}")
        where = request.scope.get(SESSION, session)
        answer = outside(checker, where, error, "NotFoundError", request.scope)
        return Response(answer.body, answer.status, media_type="application/json")

    return {HTTPException: handler}


def finished(app: Starlette, session: Session) -> Starlette:
    # A trailing slash is another path in the contract, not a redirect.
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    app.state.session = session
    return app


def cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp | None:
    """Starlette's CORS middleware around an app: a preflight is answered there, before any
    auth or journal; no origins, no CORS."""
    if not origins:
        return None
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED,
        max_age=600,
    )
