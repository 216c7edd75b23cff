"""Routes built from a spec: one per path, whose method picks the operation (or a 405)."""

from __future__ import annotations

import logging

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import connection
from .errors import ApiError, ConnectionDropped, MethodNotAllowed
from .exchange import Answer, Exchange
from .journal import Violation
from .pipeline import Pipeline, violated
from .session import Session
from .spec import Operation, Spec
from .validation import Checker

logger = logging.getLogger("mka1_mock")
SESSION = "mka1_mock.session"
"""Scope key of the session a request is for (absent: the default one)."""


def spec_routes(spec: Spec, pipeline: Pipeline, session: Session) -> list[Route]:
    """One route per spec path, in the spec's order."""
    paths = spec.by_path().items()
    return [Route(path, PathEndpoint(pipeline, ops, session)) for path, ops in paths]


class PathEndpoint:
    """The ASGI app of one spec path, for every method (Starlette's own 405 is plain text)."""

    def __init__(self, pipeline: Pipeline, operations: dict[str, Operation], session: Session):
        self.pipeline = pipeline
        self.operations = operations
        self.session = session
        self.allow = ", ".join(sorted(operations))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get(SESSION, self.session)
        operation = self.operations.get(scope["method"])
        if operation is None:
            error = MethodNotAllowed(
                f"{scope['method']} is not allowed on {scope['path']}; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            checker = self.pipeline.checker
            answer = outside(checker, session, error, "MethodNotAllowedError", scope)
        else:
            exchange = Exchange(scope, receive, operation)
            try:
                answer = await self.pipeline.run(session, exchange)
            except ConnectionDropped:
                if await connection.reset(scope):
                    return
                raise  # in-process: the client sees the exception
        await answer.send(send)


def outside(
    checker: Checker, session: Session, error: ApiError, schema: str, scope: Scope
) -> Answer:
    """An error for a request no operation matched, checked against its component schema."""
    body = error.body()
    method, path = scope["method"], scope["path"]
    if details := checker.component(schema, body):
        violated(session, Violation("(none)", method, path, error.status, tuple(details)))
    logger.info("%s %s - %d", method, path, error.status)
    return Answer.json(error.status, body, error.headers)
