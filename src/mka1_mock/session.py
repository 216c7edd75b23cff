"""Session: everything one mock holds, and the operations tests run on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import MockClock
from .faults import Fault, Faults
from .ids import RandomIds
from .journal import Crash, Entry, Ring, Violation
from .limits import Quota
from .redaction import Clear, Redactor
from .report import Counts
from .settings import Settings
from .spec import Spec
from .store import Store

if TYPE_CHECKING:
    from .sessions import Sessions

UNSET: Any = object()


@dataclass
class Session:
    """State, journal, violations, crashes, fault rules, clock and IDs of one mock."""

    settings: Settings
    spec: Spec
    fixtures: Sequence[dict[str, Any]] = ()
    clock: MockClock = field(default_factory=MockClock)
    startup_faults: Sequence[Fault] = ()
    redactor: Redactor = field(default_factory=Clear)  # what the journal and reports hide
    quota: Quota | None = None  # shared by every session of a process
    name: str = "default"
    registry: Sessions | None = None  # all the sessions of its process, for the admin API

    def __post_init__(self) -> None:
        self.ids = RandomIds(self.settings.seed)
        self.store = Store(self.ids, self.clock, self.quota)
        self.journal: Ring[Entry] = Ring(self.settings.journal_size)
        self.violations: Ring[Violation] = Ring(self.settings.journal_size)
        self.crashes: Ring[Crash] = Ring(self.settings.journal_size)
        self.faults = Faults(self.settings.seed)
        self.counts = Counts()
        self._start()

    def _start(self) -> None:
        for data in self.fixtures:
            self.store.load(data)
        for rule in self.startup_faults:
            self.faults.add(replace(rule, id="", fired=0))

    def reset(self, seed: int | None = UNSET, now: datetime | None = None) -> None:
        """Back to the start: start-up fixtures and faults only, empty journal, and the real
        clock, or one frozen at ``now`` (before the fixtures load, so it dates them too)."""
        seed = self.settings.seed if seed is UNSET else seed
        self.store.reset()
        self.journal.clear()
        self.violations.clear()
        self.crashes.clear()
        self.counts.clear()
        self.faults.clear()
        self.faults.reseed(seed)
        self.clock.release()
        if now is not None:
            self.clock.freeze(now)
        self.ids.reseed(seed)
        self._start()

    def requests(self, operation: str | None = None) -> list[Entry]:
        return [entry for entry in self.journal if operation in (None, entry.operation_id)]
