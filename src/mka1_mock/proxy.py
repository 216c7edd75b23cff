"""The validating proxy: every request goes to the upstream, and both directions are checked
against the contract with the mock's own Checker. Transparent by default (``report``): the
client gets the upstream's status, headers and bytes; ``enforce`` blocks bad requests and
replaces bad responses with a 502."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send

from . import jsondata
from .errors import ApiError, BadGateway, ConnectionDropped, Detail
from .exchange import Answer, Exchange, RawHeaders, media_type
from .har import HarWriter
from .journal import Violation, answer_excerpt, request_excerpt
from .pipeline import journal, parse_body, read_body, violated
from .report import UNDOCUMENTED
from .session import Session
from .spec import Operation, Spec
from .upstream import Reply, Undecodable, Upstream, forwarded
from .validation import Checker

logger = logging.getLogger("mka1_mock")
Mode = Literal["report", "enforce"]


@dataclass(frozen=True)
class ProxyOptions:
    mode: Mode = "report"
    validate_request: bool = True
    validate_response: bool = True
    violations_header: bool = True
    strict: bool = False  # undocumented calls count as violations


class Proxy:
    """The ASGI app of every path outside ``/__mock/``."""

    def __init__(
        self,
        spec: Spec,
        upstream: Upstream,
        session: Session,
        options: ProxyOptions,
        har: HarWriter | None = None,
    ) -> None:
        self.checker = Checker(spec)
        self.upstream = upstream
        self.session = session
        self.options = options
        self.har = har
        self._routes = [
            (compile_path(path)[0], operations) for path, operations in spec.by_path().items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(scope, receive, self._operation(scope))
        try:
            exchange.body = await read_body(receive)
        except ConnectionDropped:
            return  # the client left: nothing to forward, nothing to answer
        refused = self._check_request(exchange)
        if refused is not None and self.options.mode == "enforce":
            return await self._finish(exchange, Answer.error(refused), None, send)
        try:
            target = _target(scope)
            reply = await self.upstream.send(
                exchange.method, target, scope["headers"], exchange.body
            )
        except ApiError as error:  # the upstream failed: our 502 or 504, never a mock's answer
            return await self._finish(exchange, Answer.error(error), None, send)
        got = _answer(reply)
        problems = self._check_response(exchange, got, reply)
        if problems and self.options.mode == "enforce":
            replaced = Answer.error(_replaced(exchange.operation, got.status, problems))
            return await self._finish(exchange, replaced, None, send, got)
        await self._finish(exchange, got, reply, send, got)

    async def _finish(
        self,
        exchange: Exchange,
        answer: Answer,
        reply: Reply | None,
        send: Send,
        upstream: Answer | None = None,
    ) -> None:
        """Record the exchange (violations, journal, HAR), then send the upstream's reply
        unchanged but for hop-by-hop headers, or the proxy's own answer when there is none."""
        exchange.answer = answer
        if exchange.request_errors:  # with the answer the client got
            self._violated(exchange, "request", answer)
        if exchange.response_errors and upstream is not None:  # with the upstream's answer
            self._violated(exchange, "response", upstream)
        journal(self.session, exchange)
        count = len(exchange.request_errors) + len(exchange.response_errors)
        extra = [(b"x-mock-violations", str(count).encode())]
        extra = extra if count and self.options.violations_header else []
        status = reply.status if reply is not None else answer.status
        headers = (forwarded(reply.headers) if reply is not None else answer.raw_headers()) + extra
        self._record_har(exchange, answer, reply, headers)
        logger.info(
            "%s %s %s %d %.1fms (%s, %d violations)",
            exchange.method,
            exchange.path,
            exchange.operation.operation_id,
            answer.status,
            exchange.elapsed_ms,
            "upstream" if reply is not None else "proxy",
            count,
        )
        body = reply.body if reply is not None else answer.body  # as it came: still encoded
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _operation(self, scope: Scope) -> Operation:
        """The spec's operation for this method and path, or an undocumented one."""
        for regex, operations in self._routes:
            if match := regex.match(scope["path"]):
                if operation := operations.get(scope["method"]):
                    scope["path_params"] = match.groupdict()
                    return operation
        scope["path_params"] = {}
        return Operation(UNDOCUMENTED, scope["method"], scope["path"], 0, frozenset(), True)

    def _check_request(self, exchange: Exchange) -> ApiError | None:
        """What the mock would refuse, auth aside (the upstream's business); recorded."""
        if exchange.operation.operation_id == UNDOCUMENTED:
            self._undocumented(exchange)
            return None  # forwarded even with --strict: the contract says nothing of it
        if not self.options.validate_request:
            return None
        try:
            if exchange.operation.takes_body and exchange.body:
                content_type = exchange.headers.get("content-type", "")
                exchange.payload = parse_body(content_type, exchange.body, jsondata.MAX_DEPTH)
            self.checker.request(exchange)
        except ApiError as error:
            exchange.request_errors = error.details
            return error
        return None

    def _undocumented(self, exchange: Exchange) -> None:
        """A call the contract has no operation for: counted, and with --strict a violation."""
        if self.options.strict:
            where = f"{exchange.method} {exchange.path}"
            details = (Detail("request", f"{where} is not an operation of the contract"),)
            exchange.request_errors = details

    def _check_response(self, exchange: Exchange, got: Answer, reply: Reply) -> list[Detail]:
        documented = exchange.operation.operation_id != UNDOCUMENTED
        if not (documented and self.options.validate_response):
            return []
        try:
            reply.decoded()
        except Undecodable as exc:
            if exc.broken:  # the upstream's fault
                problem = f"says {exc.coding}, but the body is not in {exc.coding}"
                problems = [Detail("response.header.Content-Encoding", problem)]
                exchange.response_errors = problems
                return problems
            logger.warning(
                "%s %s: not checked: %s is not known here", exchange.method, exchange.path, exc
            )
            self.session.counts.skipped()
            return []
        problems = self.checker.response(exchange, got)
        exchange.response_errors = problems
        return problems

    def _violated(self, exchange: Exchange, side: str, answer: Answer) -> None:
        details = exchange.request_errors if side == "request" else exchange.response_errors
        redactor = self.session.redactor
        violated(
            self.session,
            Violation(
                exchange.operation.operation_id,
                exchange.method,
                exchange.path,
                answer.status,
                tuple(details),
                side=side,
                request=request_excerpt(exchange, redactor),
                response=answer_excerpt(answer, redactor),
            ),
        )

    def _record_har(
        self, exchange: Exchange, sent: Answer, reply: Reply | None, headers: RawHeaders
    ) -> None:
        """The exchange as the client saw it: the headers it got, the body decoded."""
        if self.har is None:
            return
        scope = exchange.scope
        host = exchange.headers.get("host", "localhost")
        url = f"{scope.get('scheme', 'http')}://{host}{_target(scope).decode('latin-1')}"
        raw_size = len(reply.body if reply is not None else sent.body)
        reason = reply.reason if reply is not None else ""
        self.har.add(
            self.har.entry(
                started=exchange.arrived,
                elapsed_ms=exchange.elapsed_ms,
                url=url,
                method=exchange.method,
                request_headers=_text_headers(scope["headers"]),
                request_body=exchange.body,
                status=sent.status,
                reason=reason,
                response_headers=_text_headers(headers),
                raw_size=raw_size,
                content=sent.body,
                custom={
                    "operation_id": exchange.operation.operation_id,
                    "answered_by": "upstream" if reply is not None else "proxy",
                    "violations": len(exchange.request_errors) + len(exchange.response_errors),
                },
            )
        )


def _text_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _target(scope: Scope) -> bytes:
    """The request target as the client wrote it: raw path and query."""
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope["query_string"]
    return path + (b"?" + query if query else b"")


def _answer(reply: Reply) -> Answer:
    """The upstream's response as the Checker and the journal read it: decoded, JSON if it is."""
    try:
        body: bytes | None = reply.decoded()
    except Undecodable:
        body = None
    content_type = reply.header("content-type") or ""
    data = None
    if body is not None and media_type(content_type) == "application/json":
        try:
            data = jsondata.loads(body)
        except ValueError:
            data = None
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in reply.headers
        if name.lower() != b"content-type"
    }
    shown = body if body is not None else reply.body
    return Answer(reply.status, shown, data, headers, content_type)


def _replaced(operation: Operation, status: int, problems: list[Detail]) -> ApiError:
    summary = "; ".join(f"{d.location} {d.message}" for d in problems)
    message = (
        f"The upstream's {status} response of {operation.operation_id} broke the contract "
        f"(replaced by this 502): {summary}"
    )
    return BadGateway(message, details=tuple(problems))
