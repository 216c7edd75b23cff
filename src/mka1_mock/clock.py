"""Clocks: UTC, whole seconds, as the MKA1 docs show every timestamp."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, truncated to whole seconds."""

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(time.time()), timezone.utc)  # twice as fast as now()


class MockClock:
    """A source clock (the wall clock by default) that tests may freeze, move on and release."""

    def __init__(self, source: Clock | None = None) -> None:
        self.source = source or SystemClock()
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            try:
                return self.source.now() + self._offset
            except OverflowError:  # a running clock moved to the very end stops there
                return END_OF_TIME

    def change(
        self,
        *,
        at: datetime | None = None,
        freeze: bool = False,
        advance: float = 0,
        release: bool = False,
    ) -> None:
        """Freeze at ``at`` (or, with ``freeze``, at now), move on by ``advance`` seconds (whole
        seconds count), then release if asked: all or nothing. Raises OverflowError, changing
        nothing, if time would pass the year 9999."""
        step = timedelta(seconds=int(advance))
        with self._lock:
            frozen_at, offset = self._frozen_at, self._offset
            if at is not None:
                moment = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
                frozen_at = moment.astimezone(timezone.utc).replace(microsecond=0)
            elif freeze and frozen_at is None:
                frozen_at = self.source.now() + offset
            if frozen_at is not None:
                frozen_at += step
            else:
                self.source.now() + offset + step  # raises past the year 9999
                offset += step
            if release:
                frozen_at, offset = None, timedelta()
            self._frozen_at, self._offset = frozen_at, offset

    def freeze(self, at: datetime | None = None) -> None:
        """Stop time at ``at`` (UTC; default: now) until released."""
        self.change(at=at, freeze=True)

    def advance(self, seconds: float) -> None:
        """Move time forward, frozen or not; OverflowError, changing nothing, past 9999."""
        self.change(advance=seconds)

    def release(self) -> None:
        """Back to the real wall clock."""
        self.change(release=True)


END_OF_TIME = datetime.max.replace(microsecond=0, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)  # the same few seconds are formatted over and over
def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and no fraction: ``2026-03-15T10:30:00Z``."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"  # strftime does not pad years below 1000


RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_timestamp(text: str) -> datetime:
    """Read an RFC 3339 timestamp (``Z`` or an offset, any fraction) as UTC, whole seconds.

    The same on every Python: ``datetime.fromisoformat`` on 3.10 takes only 3 or 6 fraction
    digits. Raises ValueError for anything else, and OverflowError outside the years 1..9999 UTC.
    """
    match = RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    offset = timedelta()
    if sign:
        offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
        offset = -offset if sign == "-" else offset
    if abs(offset) >= timedelta(days=1):
        raise ValueError(f"{text!r} has an offset of a day or more")
    zone = timezone(offset)
    fields = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    return datetime(*fields, tzinfo=zone).astimezone(timezone.utc)
