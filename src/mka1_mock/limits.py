"""What one mock process may hold: prompts in total across its sessions (``--max-prompts``)."""

from __future__ import annotations

import threading

from .errors import InsufficientStorage

DEFAULT_MAX_PROMPTS = 200_000
"""About 250 MiB with 1 KB templates: room for any test suite, and a laptop's memory kept."""


class Quota:
    """Prompts held, against the limit; every store of a process takes from the same one."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        """Count ``count`` more prompts held, or raise 507 naming the option (taking none)."""
        with self._lock:
            if self.limit is not None and self.held + count > self.limit:
                raise InsufficientStorage(
                    f"The mock holds {self.held} prompts, the most --max-prompts allows is "
                    f"{self.limit}: delete some, reset, or start it with a higher --max-prompts",
                )
            self.held += count

    def give(self, count: int) -> None:
        with self._lock:
            self.held = max(self.held - count, 0)
