"""Errors: API errors that become the contract's error body, and start-up failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


class MockError(Exception):
    """Base of every error mka1-mock raises."""


class StartupError(MockError):
    """A bad spec, seed file or option: start-up stops with this one-line reason."""


@dataclass(frozen=True)
class Detail:
    """One validation failure: where (``body.name``) and what, in plain words."""

    location: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message}


@dataclass
class ApiError(MockError):
    """An error answer with the contract's ``{"error": {...}}`` body."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"

    message: str
    param: str | None = None
    details: Sequence[Detail] = field(default_factory=tuple)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "message": self.message,
                "code": self.status,
                "param": self.param,
                "details": [detail.as_dict() for detail in self.details],
            }
        }


class BadRequest(ApiError):
    status = 400
    type = "invalid_request_error"


class Unauthorized(ApiError):
    status = 401
    type = "authentication_error"


class NotFound(ApiError):
    status = 404
    type = "not_found_error"


class MethodNotAllowed(ApiError):
    status = 405
    type = "method_not_allowed_error"


class PayloadTooLarge(ApiError):
    status = 413
    type = "request_too_large_error"


class UnsupportedMediaType(ApiError):
    status = 415
    type = "unsupported_media_type_error"


class InsufficientStorage(ApiError):
    """A limit of the mock's memory (``--max-prompts``, ``--max-sessions``): not retried by
    the SDKs, unlike a 5xx they know."""

    status = 507
    type = "insufficient_storage_error"


class ServerError(ApiError):
    status = 500
    type = "server_error"


class BadGateway(ServerError):
    status = 502


class ServiceUnavailable(ServerError):
    status = 503


class GatewayTimeout(ServerError):
    status = 504


class RateLimited(ApiError):
    """The gateway's 429: its own documented body, and ``Retry-After`` in seconds."""

    status = 429
    type = "rate_limit_error"

    def body(self) -> dict[str, Any]:
        return {"error": "Rate limit exceeded"}


ERRORS: dict[int, type[ApiError]] = {
    error.status: error
    for error in (
        BadRequest,
        Unauthorized,
        NotFound,
        PayloadTooLarge,
        UnsupportedMediaType,
        RateLimited,
        InsufficientStorage,
        ServerError,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}
"""The error for each status the mock can be asked to inject."""


class ConnectionDropped(MockError):
    """A fault dropped the connection where no transport could be cut (in-process clients)."""


def invalid(details: Sequence[Detail]) -> BadRequest:
    """A 400 listing every failure; ``param`` is set when they all concern one input."""
    inputs = {_input_name(detail.location) for detail in details}
    param = inputs.pop() if len(inputs) == 1 else None
    summary = "; ".join(f"{d.location} {d.message}" for d in details)
    return BadRequest(f"Invalid request: {summary}", param=param, details=tuple(details))


def _input_name(location: str) -> str | None:
    """``body.metadata.x`` -> ``metadata``; ``query.limit`` -> ``limit``; ``body`` -> None."""
    parts = location.replace("[", ".").split(".")
    return parts[1] if len(parts) > 1 and parts[1] else None
