"""Routes built from a spec, and the pipeline every request to them goes through."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .auth import authenticate
from .errors import (
    ApiError,
    BadRequest,
    Detail,
    MethodNotAllowed,
    PayloadTooLarge,
    ServerError,
    UnsupportedMediaType,
)
from .handlers import Call, Handler
from .journal import Entry, Violation
from .jsondata import strict_loads
from .mock import Mock
from .spec import Operation, Spec
from .store import Owner
from .validation import OpenAPIRequest, OpenAPIResponse, Validator

logger = logging.getLogger("mka1_mock")


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode(), status, headers=headers, media_type="application/json")


class Pipeline:
    """Auth, body, validation, handler, self-check: in that order, first failure wins."""

    def __init__(
        self,
        mock: Mock,
        spec: Spec,
        handlers: Mapping[str, Handler],
        *,
        authenticated: bool = True,
        journaled: bool = True,
        max_body_size: int | None = None,
    ) -> None:
        self.mock = mock
        self.validator = Validator(spec)
        self.handlers = handlers
        self.authenticated = authenticated
        self.journaled = journaled
        self.max_body_size = max_body_size or mock.settings.max_body_size

    async def run(self, request: Request, operation: Operation) -> Response:
        started = time.perf_counter()
        body: bytes | None = None
        payload: Any = None
        check = self._openapi_request(request, operation, None)
        request_errors: Sequence[Detail] = ()
        try:
            owner = self._authenticate(request)
            if operation.takes_body:
                body, payload = await self._read_body(request)
                check = self._openapi_request(request, operation, body)
            result = self.validator.request(check)
            # The JSON as sent: openapi-core would turn date-time strings into datetimes.
            call = Call(owner, result.parameters.path, result.parameters.query, payload)
            data = self.handlers[operation.operation_id](self.mock, call)
            response = json_response(operation.success_status, data)
        except ApiError as error:
            request_errors = error.details if error.status < 500 else ()
            response = json_response(error.status, error.body(), error.headers)
        except Exception as exc:
            # A bug of the mock still gets the contract's 500 body, never a bare traceback.
            logger.exception("%s failed", operation.operation_id)
            crash = ServerError(f"{operation.operation_id} failed inside the mock: {exc!r}")
            response = json_response(crash.status, crash.body())
        response, response_errors = self._self_check(check, operation, response, request)
        elapsed = (time.perf_counter() - started) * 1000
        if self.journaled:
            self._record(
                request, operation, body, response, request_errors, response_errors, elapsed
            )
        logger.info(
            "%s %s %s %d %.1fms",
            request.method,
            request.url.path,
            operation.operation_id,
            response.status_code,
            elapsed,
        )
        return response

    def outside(self, error: ApiError, schema: str, request: Request) -> Response:
        """An error for a request no operation matched, checked against its component schema."""
        body = error.body()
        details = self.validator.component(schema, body)
        if details:
            self._violated("(none)", request, error.status, details)
        logger.info("%s %s - %d", request.method, request.url.path, error.status)
        return json_response(error.status, body, error.headers)

    def _authenticate(self, request: Request) -> Owner | None:
        if not self.authenticated:
            return None
        return authenticate(request.headers, self.mock.settings.api_keys)

    def _openapi_request(
        self, request: Request, operation: Operation, body: bytes | None
    ) -> OpenAPIRequest:
        return OpenAPIRequest(
            operation,
            request.url.path,
            request.query_params,
            request.headers,
            request.path_params,
            body,
            request.headers.get("content-type", ""),
        )

    async def _read_body(self, request: Request) -> tuple[bytes, Any]:
        """The body and its JSON, read only up to the limit; then media type and JSON syntax."""
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
        body = b"".join(chunks)
        if not body:
            return body, None  # validation reports a missing required body as a 400
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
            return body, strict_loads(body)
        except ValueError as exc:
            raise BadRequest(
                f"Invalid request: body is not valid JSON ({exc})",
                details=(Detail("body", f"is not valid JSON ({exc})"),),
            ) from None

    def _self_check(
        self, check: OpenAPIRequest, operation: Operation, response: Response, request: Request
    ) -> tuple[Response, list[Detail]]:
        """Never send a response that breaks the contract: it becomes a documented 500."""
        data = bytes(response.body)
        details = self.validator.response(
            check, OpenAPIResponse(response.status_code, response.headers, data)
        )
        if not details:
            return response, details
        status = response.status_code
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
        method, path = request.method, request.url.path
        logger.error("contract violation by %s %s (%s): %s", method, path, operation_id, details)
        self.mock.violations.append(Violation(operation_id, method, path, status, tuple(details)))

    def _record(
        self,
        request: Request,
        operation: Operation,
        body: bytes | None,
        response: Response,
        request_errors: Sequence[Detail],
        response_errors: Sequence[Detail],
        elapsed: float,
    ) -> None:
        entry = Entry(
            time=_wall_time(),
            method=request.method,
            path=request.url.path,
            operation_id=operation.operation_id,
            query=dict(request.query_params),
            headers=dict(request.headers),
            body=_decoded(body),
            status=response.status_code,
            response=_decoded(bytes(response.body)),
            request_errors=tuple(request_errors),
            response_errors=tuple(response_errors),
            duration_ms=round(elapsed, 3),
        )
        self.mock.journal.append(entry)


def _wall_time() -> str:
    """When the request really came, whatever the mock clock says; with milliseconds."""
    moment = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def _decoded(data: bytes | None) -> Any:
    """JSON when it parses, else text, else None: what a person reading the journal wants."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


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
                f"{request.method} is not allowed on {request.url.path}; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            response = self.pipeline.outside(error, "MethodNotAllowedError", request)
        else:
            response = await self.pipeline.run(request, operation)
        await response(scope, receive, send)
