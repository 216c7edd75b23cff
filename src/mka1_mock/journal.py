"""What the mock saw and did: a bounded request journal, and the contract violations it caught."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import Detail

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
    """One API request and the answer it got."""

    time: str
    method: str
    path: str
    operation_id: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    response: Any
    request_errors: Sequence[Detail]
    response_errors: Sequence[Detail]
    duration_ms: float
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["request_errors"] = [detail.as_dict() for detail in self.request_errors]
        data["response_errors"] = [detail.as_dict() for detail in self.response_errors]
        return data


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
