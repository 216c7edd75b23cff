"""The pipeline every request to one API goes through, stage by stage, first failure wins."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import Receive

from . import jsondata
from .auth import anyone
from .errors import (
    ApiError,
    BadRequest,
    ConnectionDropped,
    Detail,
    PayloadTooLarge,
    ServerError,
    UnsupportedMediaType,
)
from .exchange import Answer, Exchange, media_type
from .faults import FaultStage, NoFaults
from .handlers import Call, Handler
from .journal import Crash, Entry, Violation, answer_excerpt, request_excerpt
from .redaction import Clear
from .session import Session
from .store import Owner
from .validation import Checker

logger = logging.getLogger("mka1_mock")

Auth = Callable[[Mapping[str, str]], "Owner | None"]
"""Who a request acts for, from its headers; raises a 401."""


def journal(session: Session, exchange: Exchange) -> None:
    """Keep the exchange in the session's journal, and count it for the report."""
    redactor = None if isinstance(session.redactor, Clear) else session.redactor
    entry = Entry.of(exchange, redactor)
    session.journal.append(entry)
    session.counts.count(entry.operation_id, entry.method, entry.path, entry.status)


def unjournaled(session: Session, exchange: Exchange) -> None:
    """Keep nothing (the admin API)."""


class Pipeline:
    """One API's stages; what differs between APIs (auth, faults, journal, body limit) is
    passed in."""

    def __init__(
        self,
        checker: Checker,
        handlers: Mapping[str, Handler],
        *,
        max_body_size: int,
        max_depth: int = jsondata.MAX_DEPTH,
        auth: Auth = anyone,
        faults: FaultStage | None = None,
        record: Callable[[Session, Exchange], None] = unjournaled,
    ) -> None:
        self.checker = checker
        self.handlers = handlers
        self.max_body_size = max_body_size
        self.max_depth = max_depth
        self.auth = auth
        self.faults = faults or NoFaults()
        self.record = record

    async def run(self, session: Session, exchange: Exchange) -> Answer:
        """The answer to a request, in the order a request lives."""
        faults = self.faults
        try:
            await faults.latency(session)
            exchange.owner = self.auth(exchange.headers)
            answer = await faults.before(session, exchange)
            if answer is None:
                await self.read_body(exchange)
                path, query = self.checker.request(exchange)
                call = Call(exchange.owner, path, query, exchange.payload)
                answer = self.handle(session, exchange, call)
                answer = await faults.after(session, exchange, answer)
        except ApiError as error:
            exchange.request_errors = error.details if error.status < 500 else ()
            answer = Answer.error(error)
        except ConnectionDropped:
            self.finish(session, exchange)  # no answer: the caller cuts the connection
            raise
        except Exception as exc:
            answer = self.crashed(session, exchange, exc)
        exchange.answer = answer = self.self_check(session, exchange, answer)
        self.finish(session, exchange)
        return answer

    async def read_body(self, exchange: Exchange) -> None:
        """The body, read only up to the size limit (413), then its media type (415) and JSON."""
        if not exchange.operation.takes_body:
            return  # bodies sent to operations that take none are never read
        exchange.body = body = await self._read(exchange)
        if body:
            content_type = exchange.headers.get("content-type", "")
            exchange.payload = parse_body(content_type, body, self.max_depth)

    def handle(self, session: Session, exchange: Exchange, call: Call) -> Answer:
        """The operation's handler: the success answer, or a typed error (404)."""
        operation = exchange.operation
        data = self.handlers[operation.operation_id](session, call)
        return Answer.json(operation.success_status, data)

    def crashed(self, session: Session, exchange: Exchange, exc: Exception) -> Answer:
        """A bug of the mock: recorded with its traceback, answered with the contract's 500."""
        operation_id = exchange.operation.operation_id
        logger.exception("%s failed", operation_id)
        exchange.crash = repr(exc)
        session.crashes.append(
            Crash(
                exchange.arrived,
                exchange.method,
                exchange.path,
                operation_id,
                repr(exc),
                traceback.format_exc(),
            )
        )
        return Answer.error(ServerError(f"{operation_id} failed inside the mock: {exc!r}"))

    def self_check(self, session: Session, exchange: Exchange, answer: Answer) -> Answer:
        """Never send an answer that breaks the contract: it becomes a documented 500."""
        if exchange.fault is not None and exchange.fault.malformed:
            return answer  # a broken body is the point of that fault
        details = self.checker.response(exchange, answer)
        if not details:
            return answer
        operation_id = exchange.operation.operation_id
        redactor = session.redactor
        violated(
            session,
            Violation(
                operation_id,
                exchange.method,
                exchange.path,
                answer.status,
                tuple(details),
                request=request_excerpt(exchange, redactor),
                response=answer_excerpt(answer, redactor),
            ),
        )
        exchange.response_errors = details
        summary = "; ".join(f"{d.location} {d.message}" for d in details)
        message = f"The {answer.status} response of {operation_id} broke the contract: {summary}"
        return Answer.error(ServerError(message, details=tuple(details)))

    def finish(self, session: Session, exchange: Exchange) -> None:
        """Journal and log the exchange (with no answer, it is being dropped: status 0)."""
        self.record(session, exchange)
        if logger.isEnabledFor(logging.INFO):
            status = exchange.answer.status if exchange.answer is not None else 0
            operation_id, ms = exchange.operation.operation_id, exchange.elapsed_ms
            logger.info(
                "%s %s %s %d %.1fms", exchange.method, exchange.path, operation_id, status, ms
            )

    async def _read(self, exchange: Exchange) -> bytes:
        limit = self.max_body_size
        declared = exchange.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        return await read_body(exchange.receive, limit)


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """A request's whole body: a 413 past ``limit`` bytes (read no further), ConnectionDropped
    when the client leaves before its end (a body cut short is never acted on)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionDropped("the client left before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes")


def violated(session: Session, violation: Violation) -> None:
    """Record (and log) an exchange that broke the contract."""
    logger.error("contract violation (%s side):\n%s", violation.side, violation)
    session.violations.append(violation)
    session.counts.failed(len(violation.details) or 1)


def parse_body(content_type: str, body: bytes, max_depth: int) -> Any:
    """The JSON of a body, once its media type and syntax are right (415, 400)."""
    if media_type(content_type) != "application/json":
        problem = "is missing"
        if content_type:
            problem = f"must be application/json, not {content_type!r}"
        raise UnsupportedMediaType(
            f"The Content-Type header {problem}: request bodies are JSON",
            param="Content-Type",
            details=(Detail("header.Content-Type", problem),),
        )
    try:
        return jsondata.loads(body, max_depth)
    except jsondata.TooDeep as exc:
        where = f"body.{exc.field}" if exc.field is not None else "body"
        raise BadRequest(
            f"Invalid request: {where} {exc}",
            param=exc.field,
            details=(Detail(where, str(exc)),),
        ) from None
    except ValueError as exc:
        raise BadRequest(
            f"Invalid request: body is not valid JSON ({exc})",
            details=(Detail("body", f"is not valid JSON ({exc})"),),
        ) from None
