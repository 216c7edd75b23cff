"""Operation handlers: one function per operationId, all with one signature."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..session import Session
from ..store import Owner


@dataclass(frozen=True)
class Call:
    """A request that already passed auth and validation, reduced to what handlers use."""

    owner: Owner | None
    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None


Handler = Callable[[Session, Call], dict[str, Any]]
"""Returns the success body; raises an ``ApiError`` for a lookup that fails."""
