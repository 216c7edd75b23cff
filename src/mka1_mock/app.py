"""create_app() and create_proxy_app(): the Starlette applications, built from the specs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

from starlette.applications import Starlette
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import connection
from .auth import BearerAuth, anyone
from .clock import Clock, MockClock
from .errors import ApiError, StartupError
from .faults import FaultStage, Sleep
from .handlers import Handler
from .handlers.admin import ADMIN_HANDLERS
from .handlers.prompts import HANDLERS
from .har import HarWriter
from .limits import Quota
from .pipeline import Auth, Pipeline, journal
from .proxy import Proxy, ProxyOptions
from .redaction import Redactor
from .routing import SESSION, outside, spec_routes
from .seeding import read_fault_files, read_fixtures
from .session import Session
from .sessions import PREFIX, Sessions
from .settings import Settings
from .spec import Spec, admin_spec
from .state import StateFile
from .upstream import Upstream
from .validation import Checker
from .wiring import admin_auth, admin_routes, cors, document, finished, not_found


class MockApp(Starlette):
    """Starlette, with CORS around it, a session prefix taken off the path, and the MKA1 API's
    routes tried first and directly: their endpoints answer every request themselves (errors
    and crashes included), so Starlette's middleware has nothing to add there. The
    connection's transport goes in the scope, so a fault can cut it."""

    api_routes: Sequence[Route] = ()
    sessions: Sessions
    admin_auth: Auth = staticmethod(anyone)
    cors: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection.capture(scope, send)  # before CORS wraps send
        # CORS is for browsers, which always send Origin: other requests skip its cost.
        headers = scope.get("headers", ())
        if self.cors is not None and any(name == b"origin" for name, _ in headers):
            await self.cors(scope, receive, send)
        else:
            await self.dispatch(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            name = session_name(scope)
            if name is None:
                await self.route(scope, receive, send)
            else:
                await self.in_session(name, scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def route(self, scope: Scope, receive: Receive, send: Send) -> None:
        for route in self.api_routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                await route.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def in_session(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Take ``/sessions/{name}`` off the path and route with that session in the scope; it
        is busy (never expired) until the answer is sent. A refused admin call makes none."""
        prefix = f"{PREFIX}{name}"
        rest = scope["path"][len(prefix) :]
        try:
            if rest.startswith("/__mock/"):
                self.admin_auth(admin_headers(scope))
            session = self.sessions.enter(name)
        except ApiError as error:
            checker = self.api_routes[0].app.pipeline.checker  # type: ignore[attr-defined]
            await outside(checker, self.sessions.default, error, "Error", scope).send(send)
            return
        try:
            scope["path"] = rest
            scope["raw_path"] = scope.get("raw_path", b"")[len(prefix) :] or rest.encode()
            scope["root_path"] = scope.get("root_path", "") + prefix
            scope[SESSION] = session
            await self.route(scope, receive, send)
        finally:
            self.sessions.leave(name)


def session_name(scope: Scope) -> str | None:
    """The name in a ``/sessions/{name}/...`` path as sent, not decoded (``a%2Fb`` is a bad
    name, not a path); None for any other path."""
    if not scope["path"].startswith(PREFIX):  # the default path pays only this
        return None
    raw: bytes = scope.get("raw_path") or b""
    if not raw.startswith(PREFIX.encode()):  # no raw path, or "sessions" itself escaped
        raw = scope["path"].encode()
    name, slash, _ = raw[len(PREFIX) :].partition(b"/")
    return name.decode("latin-1") if slash else None


def admin_headers(scope: Scope) -> dict[str, str]:
    """What the admin token check reads: the first ``Authorization`` header, if any."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return {"authorization": value.decode("latin-1")}
    return {}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    handlers: Mapping[str, Handler] = HANDLERS,
    checker: Callable[[Spec], Checker] = Checker,
) -> Starlette:
    """The mock as an ASGI app; a bad spec, fixture or handler table stops it here.

    ``clock`` and ``sleep`` replace the wall clock and the waits of delays, ``monotonic``
    the clock of sessions' idle time, for tests; ``handlers`` and ``checker`` replace the
    operations and the validation.
    """
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    admin = admin_spec()
    _check_handlers(spec, handlers)
    _check_handlers(admin, ADMIN_HANDLERS)
    fixtures = read_fixtures(settings.fixtures)
    faults = read_fault_files(settings.fault_files, spec.operations)
    quota = Quota(settings.max_prompts)

    def make(name: str) -> Session:
        made = Session(settings, spec, fixtures, MockClock(clock), faults, quota=quota)
        made.name, made.registry = name, sessions
        return made

    default = Session(settings, spec, fixtures, MockClock(clock), faults, quota=quota)
    sessions = Sessions(default, make, settings.max_sessions, settings.session_ttl, monotonic)
    default.registry = sessions
    session = default
    guard = admin_auth(settings.admin_token)
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
        document("/openapi.json", spec, "json"),
        document("/openapi.yaml", spec, "yaml"),
        *admin_routes(admin, session, guard),
    ]
    app = MockApp(routes=routes, exception_handlers=not_found(api.checker, session))
    app.api_routes, app.sessions, app.admin_auth = api_routes, sessions, guard
    app.cors = cors(app.dispatch, settings.cors_origins)
    app.state.sessions = sessions
    if settings.state_file is not None:  # after the fixtures: the saved state is newer
        app.state.state_file = StateFile(settings.state_file, sessions)
        app.state.state_file.load()
    return finished(app, session)


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

    routes = admin_routes(
        admin_spec().subset(PROXY_ADMIN), session, admin_auth(settings.admin_token)
    )
    app = ProxyApp(
        routes=routes, exception_handlers=not_found(proxy.checker, session), lifespan=lifespan
    )
    app.proxy = proxy
    return finished(app, session)


PROXY_ADMIN = (
    "health",
    "reset",
    "listRequests",
    "clearRequests",
    "listViolations",
    "listCrashes",
    "getReport",
)
"""What the admin API offers in proxy mode: no state, faults, clock or sessions."""


def _check_handlers(spec: Spec, handlers: Mapping[str, Handler]) -> None:
    declared = {operation.operation_id for operation in spec.operations}
    if missing := sorted(declared - set(handlers)):
        raise StartupError(f"{spec.source}: operations without a handler: {', '.join(missing)}")
    if extra := sorted(set(handlers) - declared):
        unknown = ", ".join(extra)
        raise StartupError(f"{spec.source}: handlers for operations not in the spec: {unknown}")
