"""Routes built from a spec, and the pipeline every request to them goes through."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .auth import authenticate
from .errors import (
    ERRORS,
    ApiError,
    BadRequest,
    ConnectionDropped,
    Detail,
    MethodNotAllowed,
    PayloadTooLarge,
    ServerError,
    UnsupportedMediaType,
    invalid,
)
from .fastpath import FastPath
from .faults import MAX_DELAY_MS, Fault, When
from .handlers import Call, Handler
from .journal import Entry, Violation
from .jsondata import strict_loads
from .mock import Mock
from .spec import Operation, Spec
from .store import Owner

if TYPE_CHECKING:
    from .validation import OpenAPIRequest, Validator

logger = logging.getLogger("mka1_mock")

ADMIN_MAX_BODY_SIZE = 64 * 1024 * 1024
TRANSPORT = "mka1_mock.transport"
"""Scope key of the server's transport, which a fault may cut."""
MALFORMED = b'{"id":"prompt_00000000000000000000000000000000","object":"prompt"}'
"""Cut in half when a malformed-body fault fires before any handler ran."""


class JSONAnswer(Response):
    """A JSON response that keeps the data it was made from: the self-check reads that."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str] | None = None) -> None:
        self.data = data
        body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        super().__init__(body.encode(), status, headers=headers, media_type="application/json")


json_response = JSONAnswer


@dataclass
class Exchange:
    """One request in the pipeline, with its body once read."""

    request: Request
    operation: Operation
    body: bytes | None = None

    def openapi(self) -> OpenAPIRequest:
        """openapi-core's view of the request."""
        from .validation import OpenAPIRequest

        request = self.request
        return OpenAPIRequest(
            self.operation,
            request.scope["path"],
            request.query_params,
            request.headers,
            request.path_params,
            self.body,
            request.headers.get("content-type", ""),
        )


class Pipeline:
    """Auth, body, validation, handler, self-check: in that order, first failure wins."""

    def __init__(
        self,
        mock: Mock,
        spec: Spec,
        handlers: Mapping[str, Handler],
        *,
        admin: bool = False,
    ) -> None:
        self.mock = mock
        self.spec = spec
        self.fast = FastPath(spec)
        self.handlers = handlers
        # The admin API: no token, no journal, no faults, and room for a whole exported state.
        self.admin = admin
        self.max_body_size = ADMIN_MAX_BODY_SIZE if admin else mock.settings.max_body_size

    @cached_property
    def validator(self) -> Validator:
        """openapi-core, for what the fast path leaves to it: imported when first needed."""
        from .validation import Validator

        return Validator(self.spec)

    async def run(self, request: Request, operation: Operation) -> Response:
        started = time.perf_counter()
        check = Exchange(request, operation)
        request_errors: Sequence[Detail] = ()
        fault: Fault | None = None
        try:
            await _pause(self._latency())  # --latency: every answer, errors included
            owner = self._authenticate(request)
            fault = self._fault(request, operation, owner, "before")
            if fault is not None and _decisive(fault):
                response = await self._inject(fault, operation, None)
            else:
                await _pause(self.mock.faults.delay(fault))
                response = await self._answer(check, owner)
                if response.status_code < 300 and (
                    after := self._fault(request, operation, owner, "after")
                ):
                    fault = after
                    response = await self._inject(after, operation, response)
        except ApiError as error:
            request_errors = error.details if error.status < 500 else ()
            response = json_response(error.status, error.body(), error.headers)
        except ConnectionDropped:
            self._record(check, None, (), [], 0.0, fault)
            raise
        except Exception as exc:
            # A bug of the mock still gets the contract's 500 body, never a bare traceback.
            logger.exception("%s failed", operation.operation_id)
            crash = ServerError(f"{operation.operation_id} failed inside the mock: {exc!r}")
            response = json_response(crash.status, crash.body())
        response_errors: list[Detail] = []
        if not (fault and fault.malformed):  # a broken body is the point of that fault
            response, response_errors = self._self_check(check, response)
        elapsed = (time.perf_counter() - started) * 1000
        errors = (request_errors, response_errors)
        self._record(check, response, *errors, elapsed, fault)
        logger.info(
            "%s %s %s %d %.1fms",
            request.method,
            request.scope["path"],
            operation.operation_id,
            response.status_code,
            elapsed,
        )
        return response

    async def _answer(self, check: Exchange, owner: Owner | None) -> Response:
        request, operation = check.request, check.operation
        payload: Any = None
        if operation.takes_body:
            check.body = await self._read_body(request)
            payload = _parse_body(request, check.body)
        headers, path = request.headers, request.path_params
        validation = self.mock.settings.validation
        query = request.query_params
        checked = self.fast.request(operation, query, headers, path, payload, validation)
        if checked is None:  # invalid, or in doubt: openapi-core decides, and names the faults
            result = self.validator.request(check.openapi())
            checked = result.parameters.path, result.parameters.query
        # The JSON as sent: openapi-core would turn date-time strings into datetimes.
        call = Call(owner, path=checked[0], query=checked[1], body=payload)
        data = self.handlers[operation.operation_id](self.mock, call)
        return json_response(operation.success_status, data)

    def outside(self, error: ApiError, schema: str, request: Request) -> Response:
        """An error for a request no operation matched, checked against its component schema."""
        body = error.body()
        if not self.fast.component(schema, body) and (
            details := self.validator.component(schema, body)
        ):
            self._violated("(none)", request, error.status, details)
        logger.info("%s %s - %d", request.method, request.scope["path"], error.status)
        return json_response(error.status, body, error.headers)

    def _authenticate(self, request: Request) -> Owner | None:
        if self.admin:
            return None
        return authenticate(request.headers, self.mock.settings.api_keys)

    def _fault(
        self, request: Request, operation: Operation, owner: Owner | None, when: When
    ) -> Fault | None:
        """The rule for this request: a ``Prefer`` header first, then the fault rules."""
        if self.admin:
            return None
        prefer = request.headers.get("prefer")
        if when == "before" and prefer and (rule := preferred(prefer, operation)):
            return rule
        return self.mock.faults.fire(operation.operation_id, owner, when)

    def _latency(self) -> float:
        latency = self.mock.settings.latency_ms
        if self.admin or latency is None:
            return 0.0
        return self.mock.faults.delay(Fault(delay_ms=latency[0], delay_max_ms=latency[1]))

    async def _inject(self, rule: Fault, operation: Operation, answer: Response | None) -> Response:
        """What a rule does instead of (before) or to (after) the real answer."""
        await _pause(self.mock.faults.delay(rule))
        if rule.drop:
            raise ConnectionDropped(f"{rule.id} dropped the connection")
        if rule.malformed:
            data = bytes(answer.body) if answer is not None else MALFORMED
            return Response(
                data[: len(data) // 2], operation.success_status, media_type="application/json"
            )
        if rule.status is not None:
            headers = {"Retry-After": str(rule.retry_after)} if rule.status == 429 else {}
            message = f"{operation.operation_id} answered {rule.status}: injected by {rule.id}"
            error = ERRORS[rule.status](message, headers=headers)
            return json_response(error.status, error.body(), error.headers)
        assert answer is not None, "a rule that only delays never comes here before the handler"
        return answer

    async def _read_body(self, request: Request) -> bytes:
        """The body, read only up to the size limit."""
        limit = self.max_body_size
        too_large = PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _self_check(self, check: Exchange, response: Response) -> tuple[Response, list[Detail]]:
        """Never send a response that breaks the contract: it becomes a documented 500."""
        request, operation = check.request, check.operation
        status = response.status_code
        if not self.mock.settings.validation or (
            isinstance(response, JSONAnswer)
            and self.fast.response(operation, status, response.data)
        ):
            return response, []
        data = bytes(response.body)
        details = self.validator.response(check.openapi(), status, response.headers, data)
        if not details:
            return response, details
        self._violated(operation.operation_id, request, status, details)
        summary = "; ".join(f"{d.location} {d.message}" for d in details)
        error = ServerError(
            f"The {status} response of {operation.operation_id} broke the contract: {summary}",
            details=tuple(details),
        )
        return json_response(error.status, error.body()), details

    def _violated(
        self, operation_id: str, request: Request, status: int, details: list[Detail]
    ) -> None:
        method, path = request.method, request.scope["path"]
        logger.error("contract violation by %s %s (%s): %s", method, path, operation_id, details)
        self.mock.violations.append(Violation(operation_id, method, path, status, tuple(details)))

    def _record(
        self,
        check: Exchange,
        response: Response | None,
        request_errors: Sequence[Detail],
        response_errors: Sequence[Detail],
        elapsed: float,
        fault: Fault | None,
    ) -> None:
        request, operation, body = check.request, check.operation, check.body
        if self.admin:
            return
        entry = Entry(
            started=time.time(),
            method=request.method,
            path=request.scope["path"],
            operation_id=operation.operation_id,
            raw_query=request.scope["query_string"],
            raw_headers=request.scope["headers"],
            raw_body=body,
            # A dropped connection answered nothing: status 0.
            status=response.status_code if response is not None else 0,
            raw_response=bytes(response.body) if response is not None else None,
            request_errors=tuple(request_errors),
            response_errors=tuple(response_errors),
            duration_ms=round(elapsed, 3),
            fault=fault.id if fault is not None else None,
        )
        self.mock.journal.append(entry)


def _parse_body(request: Request, body: bytes) -> Any:
    """The JSON of a body, once its media type and syntax are right (415, 400)."""
    if not body:
        return None  # validation reports a missing required body as a 400
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        problem = "is missing"
        if content_type:
            problem = f"must be application/json, not {content_type!r}"
        raise UnsupportedMediaType(
            f"The Content-Type header {problem}: request bodies are JSON",
            param="Content-Type",
            details=(Detail("header.Content-Type", problem),),
        )
    try:
        return strict_loads(body)
    except ValueError as exc:
        raise BadRequest(
            f"Invalid request: body is not valid JSON ({exc})",
            details=(Detail("body", f"is not valid JSON ({exc})"),),
        ) from None


async def _pause(seconds: float) -> None:
    if seconds > 0:  # no needless trip through the event loop on the hot path
        await asyncio.sleep(seconds)


def _decisive(rule: Fault) -> bool:
    """Whether a rule replaces the answer (a rule that only delays lets it through)."""
    return rule.drop or rule.malformed or rule.status is not None


def preferred(prefer: str, operation: Operation) -> Fault | None:
    """A one-request rule from ``Prefer: code=503, delay=200`` (Prism's header, plus delay)."""
    options = {}
    for token in prefer.replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        options[name.strip().lower()] = value.strip().strip('"')
    rule = Fault(id="Prefer")
    try:
        if "delay" in options:
            rule.delay_ms = int(options["delay"])
        if "code" in options and int(options["code"]) != operation.success_status:
            rule.status = int(options["code"])
    except ValueError:
        problem = "code and delay must be whole numbers"
        raise invalid([Detail("header.Prefer", problem)]) from None
    if rule.status is not None and rule.status not in operation.error_statuses:
        declared = ", ".join(map(str, sorted(operation.error_statuses)))
        problem = (
            f"code={rule.status} is not a status {operation.operation_id} declares ({declared})"
        )
        raise invalid([Detail("header.Prefer", problem)])
    if rule.delay_ms < 0 or rule.delay_ms > MAX_DELAY_MS:
        raise invalid([Detail("header.Prefer", f"delay must be 0..{MAX_DELAY_MS} ms")])
    return rule if (rule.status is not None or rule.delay_ms) else None


def spec_routes(spec: Spec, pipeline: Pipeline) -> list[Route]:
    """One route per spec path; the method picks the operation, or a 405 with ``Allow``."""
    by_path: dict[str, dict[str, Operation]] = {}
    for operation in spec.operations:
        by_path.setdefault(operation.path, {})[operation.method] = operation
    return [Route(path, PathEndpoint(pipeline, ops)) for path, ops in by_path.items()]


class PathEndpoint:
    """An ASGI app for one spec path, so that every method reaches it (Starlette's own 405 is
    plain text)."""

    def __init__(self, pipeline: Pipeline, operations: dict[str, Operation]) -> None:
        self.pipeline = pipeline
        self.operations = operations
        self.allow = ", ".join(sorted(operations))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        operation = self.operations.get(request.method)
        if operation is None:
            error = MethodNotAllowed(
                f"{request.method} is not allowed on {scope['path']}; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            response = self.pipeline.outside(error, "MethodNotAllowedError", request)
        else:
            try:
                response = await self.pipeline.run(request, operation)
            except ConnectionDropped:
                transport = scope.get(TRANSPORT)
                if transport is None:
                    raise  # in-process: the client sees the exception
                # Linger 0: the close is a reset (ECONNRESET), the network error clients retry;
                # a plain close after a read request looks like a protocol error instead.
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
                await asyncio.sleep(0)  # let uvicorn see the connection lost, so it sends nothing
                return
        await response(scope, receive, send)
