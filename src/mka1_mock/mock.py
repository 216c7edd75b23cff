"""Mock: everything one running mock holds, and the operations tests run on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .clock import MockClock
from .ids import RandomIds
from .journal import Entry, Ring, Violation
from .settings import Settings
from .spec import Spec
from .store import Store

UNSET: Any = object()


@dataclass
class Mock:
    """State, journal, violations, clock and IDs of one mock (``app.state.mock``)."""

    settings: Settings
    spec: Spec
    fixtures: Sequence[dict[str, Any]] = ()
    clock: MockClock = field(default_factory=MockClock)

    def __post_init__(self) -> None:
        self.ids = RandomIds(self.settings.seed)
        self.store = Store(self.ids, self.clock)
        self.journal: Ring[Entry] = Ring(self.settings.journal_size)
        self.violations: Ring[Violation] = Ring(self.settings.journal_size)
        self.load_fixtures()

    def load_fixtures(self) -> None:
        for data in self.fixtures:
            self.store.load(data)

    def reset(self, seed: int | None = UNSET) -> None:
        """Back to the start: fixtures only, empty journal, real clock, IDs from the seed."""
        self.store.reset()
        self.journal.clear()
        self.violations.clear()
        self.clock.release()
        self.ids.reseed(self.settings.seed if seed is UNSET else seed)
        self.load_fixtures()

    def requests(self, operation: str | None = None) -> list[Entry]:
        return [entry for entry in self.journal if operation in (None, entry.operation_id)]
