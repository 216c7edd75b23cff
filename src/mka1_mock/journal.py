"""What the mock saw and did: a bounded request journal, and the contract violations it caught."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from starlette.datastructures import Headers, QueryParams

from . import jsondata
from .errors import Detail

if TYPE_CHECKING:
    from .exchange import Answer, Exchange
    from .redaction import Redactor

EXCERPT = 2000
"""Characters of a body kept in a violation's excerpt."""

T = TypeVar("T")


def utc(moment: float) -> str:
    """A wall-clock time as RFC 3339 UTC, to the millisecond."""
    stamp = datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


@dataclass(frozen=True)
class Violation:
    """An exchange that broke the contract: the mock's own answer (it was replaced by a 500), or
    in proxy mode the client's request or the upstream's response."""

    operation_id: str
    method: str
    path: str
    status: int
    details: Sequence[Detail]
    side: str = "response"
    request: dict[str, Any] | None = None  # excerpts, redacted where secrets are
    response: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "details": [detail.as_dict() for detail in self.details],
            "request": self.request,
            "response": self.response,
        }

    def __str__(self) -> str:
        happened = "answered" if self.side == "response" else "was asked, answered"
        lines = [f"{self.method} {self.path} ({self.operation_id}) {happened} {self.status}:"]
        lines += [f"  {detail.location}: {detail.message}" for detail in self.details]
        return "\n".join(lines)


@dataclass(frozen=True)
class Crash:
    """An exception inside the mock while it answered a request (the client got a 500)."""

    arrived: float
    method: str
    path: str
    operation_id: str
    error: str
    traceback: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": utc(self.arrived),
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
            "error": self.error,
            "traceback": self.traceback,
        }

    def __str__(self) -> str:
        header = f"{self.method} {self.path} ({self.operation_id}) crashed: {self.error}"
        return f"{header}\n{self.traceback.rstrip()}"


@dataclass  # not frozen: a frozen dataclass takes four times longer to make, per request
class Entry:
    """One API request and the answer it got.

    The request path stores what it has, raw (bytes, a timestamp); the readable forms below are
    made when someone reads the journal, so recording costs next to nothing per request.
    """

    started: float
    method: str
    path: str
    operation_id: str
    raw_query: bytes
    raw_headers: Sequence[tuple[bytes, bytes]]
    raw_body: bytes | None
    status: int
    raw_response: bytes | None
    request_errors: Sequence[Detail]
    response_errors: Sequence[Detail]
    duration_ms: float
    fault: str | None = None
    crash: str | None = None

    @classmethod
    def of(cls, exchange: Exchange, redactor: Redactor | None = None) -> Entry:
        """The journal's record of an exchange; a dropped connection has no answer: status 0."""
        scope, answer = exchange.scope, exchange.answer
        headers = scope["headers"] if redactor is None else redactor.raw(scope["headers"])
        return cls(
            started=exchange.arrived,
            method=scope["method"],
            path=scope["path"],
            operation_id=exchange.operation.operation_id,
            raw_query=scope["query_string"],
            raw_headers=headers,
            raw_body=exchange.body,
            status=answer.status if answer is not None else 0,
            raw_response=answer.body if answer is not None else None,
            request_errors=tuple(exchange.request_errors),
            response_errors=tuple(exchange.response_errors),
            duration_ms=round(exchange.elapsed_ms, 3),
            fault=exchange.fault.id if exchange.fault is not None else None,
            crash=exchange.crash,
        )

    @cached_property
    def time(self) -> str:
        """When the request arrived (wall time, whatever the mock clock says), to the ms."""
        return utc(self.started)

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(QueryParams(self.raw_query))

    @cached_property
    def headers(self) -> dict[str, str]:
        return dict(Headers(raw=list(self.raw_headers)))

    @cached_property
    def body(self) -> Any:
        """The request body: JSON when it parses, else text, else None."""
        return _decoded(self.raw_body)

    @cached_property
    def response(self) -> Any:
        """The response body as sent, read the same way (None for a dropped connection)."""
        return _decoded(self.raw_response)

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "response": self.response,
            "request_errors": [detail.as_dict() for detail in self.request_errors],
            "response_errors": [detail.as_dict() for detail in self.response_errors],
            "duration_ms": self.duration_ms,
            "fault": self.fault,
            "crash": self.crash,
        }


def _decoded(data: bytes | None) -> Any:
    """JSON when it parses, else text, else None: what a person reading the journal wants."""
    if not data:
        return None
    try:
        return jsondata.loads(data)  # what could not be answered as JSON stays text
    except ValueError:
        return data.decode("utf-8", "replace")


def request_excerpt(exchange: Exchange, redactor: Redactor) -> dict[str, Any]:
    """What a violation report shows of a request: secrets redacted, the body cut short."""
    scope = exchange.scope
    raw = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
    headers = redactor.headers(raw)
    return {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode("latin-1"),
        "headers": dict(headers),
        "body": _text(exchange.body),
    }


def answer_excerpt(answer: Answer, redactor: Redactor) -> dict[str, Any]:
    """What a violation report shows of a response."""
    headers = {"content-type": answer.content_type, **answer.headers}
    return {
        "status": answer.status,
        "headers": dict(redactor.headers(headers.items())),
        "body": _text(answer.body),
    }


def _text(body: bytes | None) -> str | None:
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}... ({len(text)} characters)"


class Ring(Generic[T]):
    """A thread-safe list that keeps only the newest ``size`` items, so memory stays bounded."""

    def __init__(self, size: int) -> None:
        self._items: deque[T] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[T]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def failure_report(violations: Sequence[Violation], crashes: Sequence[Crash]) -> str:
    """What a test failure says when the mock broke its own contract or crashed."""
    lines = []
    if violations:
        header = f"mka1-mock sent {len(violations)} response(s) that broke openapi.yaml"
        lines += [header + " (each was replaced by a 500):", *map(str, violations)]
    if crashes:
        lines += [f"mka1-mock crashed {len(crashes)} time(s) (each answered a 500):"]
        lines += map(str, crashes)
    return "\n".join(lines)
