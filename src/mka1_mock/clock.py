"""Clocks: UTC, whole seconds, as the MKA1 docs show every timestamp."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, truncated to whole seconds."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and no fraction: ``2026-03-15T10:30:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
