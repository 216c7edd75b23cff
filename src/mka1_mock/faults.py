"""Fault rules: injected error statuses, delays, dropped connections and broken bodies."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .errors import Detail, invalid
from .spec import Operation
from .store import Owner

When = Literal["before", "after"]
MAX_DELAY_MS = 600_000


@dataclass
class Fault:
    """One rule: which requests it matches, what it does to them, and how often."""

    operation: str | None = None
    token: str | None = None
    on_behalf_of: str | None = None
    status: int | None = None
    retry_after: int = 1
    delay_ms: int = 0
    delay_max_ms: int | None = None
    drop: bool = False
    malformed: bool = False
    times: int | None = None
    probability: float = 1.0
    when: When = "before"
    id: str = ""
    fired: int = field(default=0)

    def matches(self, operation_id: str, owner: Owner | None, when: When) -> bool:
        token, on_behalf_of = owner or (None, None)
        return (
            self.when == when
            and self.operation in (None, operation_id)
            and self.token in (None, token)
            and self.on_behalf_of in (None, on_behalf_of)
            and (self.times is None or self.fired < self.times)
        )

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


class Faults:
    """The active rules, first match wins; chance and delay ranges come from a seeded random."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        self._random = random.Random(seed)

    def add(self, rule: Fault) -> Fault:
        with self._lock:
            self._next_id += 1
            rule.id = rule.id or f"fault-{self._next_id}"
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._next_id = 0

    def fire(self, operation_id: str, owner: Owner | None, when: When) -> Fault | None:
        """The first rule that matches (and wins its chance), counted as fired; else None."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(operation_id, owner, when):
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
            return None

    def delay(self, rule: Fault | None) -> float:
        """Seconds to wait for a rule: fixed, or drawn from its range."""
        if rule is None or not (rule.delay_ms or rule.delay_max_ms):
            return 0.0
        if rule.delay_max_ms is None:
            return rule.delay_ms / 1000
        with self._lock:
            return self._random.uniform(rule.delay_ms, rule.delay_max_ms) / 1000

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._rules))


def fault_from(data: Mapping[str, Any], operations: Sequence[Operation], where: str = "") -> Fault:
    """A rule from schema-valid data (the admin API's ``Fault``), checked against the spec."""
    rule = Fault(**{key: value for key, value in data.items() if key not in ("id", "fired")})
    check_fault(rule, operations, where)
    return rule


def check_fault(rule: Fault, operations: Sequence[Operation], where: str = "") -> None:
    """What a schema cannot say: a known operation, a status it declares, one effect."""
    known = {operation.operation_id: operation for operation in operations}
    problems = []
    if rule.operation is not None and rule.operation not in known:
        problems.append(Detail(f"{where}operation", f"{rule.operation!r} is not an operationId"))
    targets = [known[rule.operation]] if rule.operation in known else list(known.values())
    if rule.status is not None:
        refusing = [op.operation_id for op in targets if rule.status not in op.error_statuses]
        if refusing:
            problem = f"{rule.status} is not a status {', '.join(refusing)} can answer"
            problems.append(Detail(f"{where}status", problem))
    if sum([rule.status is not None, rule.drop, rule.malformed]) > 1:
        problem = "status, drop and malformed exclude each other"
        problems.append(Detail(f"{where}status", problem))
    if rule.delay_max_ms is not None and rule.delay_max_ms < rule.delay_ms:
        problems.append(Detail(f"{where}delay_max_ms", "must be at least delay_ms"))
    if not (
        rule.status is not None or rule.drop or rule.malformed or rule.delay_ms or rule.delay_max_ms
    ):
        problems.append(
            Detail(
                where.rstrip(".") or "body",
                "does nothing: give a status, drop, malformed or a delay",
            )
        )
    if problems:
        raise invalid(problems)
