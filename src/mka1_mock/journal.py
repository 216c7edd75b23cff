"""What the mock saw and did: a bounded request journal, and the contract violations it caught."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Generic, TypeVar

from starlette.datastructures import Headers, QueryParams

from .errors import Detail
from .jsondata import strict_loads

T = TypeVar("T")


@dataclass(frozen=True)
class Violation:
    """A response that would have broken the contract (it was replaced by a 500)."""

    operation_id: str
    method: str
    path: str
    status: int
    details: Sequence[Detail]

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "details": [detail.as_dict() for detail in self.details],
        }

    def __str__(self) -> str:
        lines = [f"{self.method} {self.path} ({self.operation_id}) answered {self.status}:"]
        lines += [f"  {detail.location}: {detail.message}" for detail in self.details]
        return "\n".join(lines)


@dataclass(frozen=True)
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

    @cached_property
    def time(self) -> str:
        """When the request came (wall time, whatever the mock clock says), to the millisecond."""
        moment = datetime.fromtimestamp(self.started, timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

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
        }


def _decoded(data: bytes | None) -> Any:
    """JSON when it parses, else text, else None: what a person reading the journal wants."""
    if not data:
        return None
    try:
        return strict_loads(data)  # what could not be answered as JSON stays text
    except ValueError:
        return data.decode("utf-8", "replace")


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


def violation_report(violations: Sequence[Violation]) -> str:
    """What a test failure says when the mock broke its own contract."""
    header = f"mka1-mock sent {len(violations)} response(s) that broke openapi.yaml"
    return "\n".join([header + " (each was replaced by a 500):", *map(str, violations)])
