"""Records of what went wrong: contract violations the mock caught in its own answers."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import Detail


@dataclass(frozen=True)
class Violation:
    """A response that would have broken the contract (or a handler that crashed)."""

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


class Violations:
    """A bounded, thread-safe list of violations, oldest dropped first."""

    def __init__(self, limit: int = 1000) -> None:
        self._items: deque[Violation] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def record(self, violation: Violation) -> None:
        with self._lock:
            self._items.append(violation)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)
