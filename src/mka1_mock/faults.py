"""Faults: the rules, and the pipeline stage that applies them (and ``Prefer``, and latency).

A rule matched before the handler answers instead of it (an error status, a dropped connection,
a broken body) or only delays it; one matched after the handler acts on its answer, so the write
has happened.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import ERRORS, ConnectionDropped, Detail, invalid
from .exchange import Answer
from .jsondata import whole
from .spec import Operation
from .store import Owner

if TYPE_CHECKING:
    from .exchange import Exchange
    from .session import Session

DIGITS = re.compile("[0-9]+")
When = Literal["before", "after"]
Sleep = Callable[[float], Awaitable[None]]
MAX_DELAY_MS = 600_000
MALFORMED = b'{"id":"prompt_00000000000000000000000000000000","object":"prompt"}'
"""Cut in half when a malformed-body fault fires before any handler ran."""


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

    @property
    def decisive(self) -> bool:
        """Whether the rule replaces the answer (one that only delays lets it through)."""
        return self.drop or self.malformed or self.status is not None

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
        # Chances and delays draw from two streams, so that a delay (--latency, a range) never
        # changes which requests a probability rule hits.
        self._random = random.Random(seed)
        self._delays = random.Random(seed)

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
        if not self._rules:  # the common case, without taking the lock
            return None
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
        if rule.delay_max_ms in (None, rule.delay_ms):
            return rule.delay_ms / 1000
        with self._lock:
            return self._delays.uniform(rule.delay_ms, rule.delay_max_ms) / 1000

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._rules))


def fault_from(data: Mapping[str, Any], operations: Sequence[Operation], where: str = "") -> Fault:
    """A rule from schema-valid data (the admin API's ``Fault``), checked against the spec."""
    fields = {key: value for key, value in data.items() if key not in ("id", "fired")}
    integers = ("status", "retry_after", "delay_ms", "delay_max_ms", "times")
    rule = Fault(**fields | {key: whole(fields[key]) for key in integers if key in fields})
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


def preferred(prefer: str, operation: Operation) -> Fault | None:
    """A one-request rule from ``Prefer: code=503, delay=200`` (Prism's header, plus delay)."""
    options = {}
    for token in prefer.replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        options[name.strip().lower()] = value.strip().strip('"')
    rule = Fault(id="Prefer")
    if any(not DIGITS.fullmatch(options[key]) for key in ("code", "delay") if key in options):
        raise invalid([Detail("header.Prefer", "code and delay must be whole numbers")])
    if "delay" in options:
        rule.delay_ms = int(options["delay"])
    if "code" in options and int(options["code"]) != operation.success_status:
        rule.status = int(options["code"])
    if rule.status is not None and rule.status not in operation.error_statuses:
        declared = ", ".join(map(str, sorted(operation.error_statuses)))
        problem = (
            f"code={rule.status} is not a status {operation.operation_id} declares ({declared})"
        )
        raise invalid([Detail("header.Prefer", problem)])
    if not 0 <= rule.delay_ms <= MAX_DELAY_MS:
        raise invalid([Detail("header.Prefer", f"delay must be 0..{MAX_DELAY_MS} ms")])
    return rule if (rule.status is not None or rule.delay_ms) else None


class FaultStage:
    """Latency, ``Prefer`` and the session's rules, applied to the requests of an API."""

    def __init__(self, latency_ms: tuple[int, int] | None = None, sleep: Sleep = asyncio.sleep):
        self.latency_rule = None
        if latency_ms is not None:
            self.latency_rule = Fault(delay_ms=latency_ms[0], delay_max_ms=latency_ms[1])
        self.sleep = sleep  # tests pass one that records instead of waiting

    async def latency(self, session: Session) -> None:
        """``--latency``: every answer is late, errors included."""
        await self.pause(session.faults.delay(self.latency_rule))

    async def before(self, session: Session, exchange: Exchange) -> Answer | None:
        """An answer instead of the handler's, or None to go on (after any delay)."""
        operation = exchange.operation
        prefer = exchange.headers.get("prefer")
        rule = preferred(prefer, operation) if prefer else None
        rule = rule or session.faults.fire(operation.operation_id, exchange.owner, "before")
        if rule is None:
            return None
        exchange.fault = rule
        await self.pause(session.faults.delay(rule))
        return self._inject(rule, operation, None) if rule.decisive else None

    async def after(self, session: Session, exchange: Exchange, answer: Answer) -> Answer:
        """What a rule does to a successful answer (the write has happened)."""
        operation = exchange.operation
        if answer.status >= 300:
            return answer
        rule = session.faults.fire(operation.operation_id, exchange.owner, "after")
        if rule is None:
            return answer
        exchange.fault = rule
        await self.pause(session.faults.delay(rule))
        return self._inject(rule, operation, answer)

    async def pause(self, seconds: float) -> None:
        if seconds > 0:  # no needless trip through the event loop on the hot path
            await self.sleep(seconds)

    def _inject(self, rule: Fault, operation: Operation, answer: Answer | None) -> Answer:
        if rule.drop:
            raise ConnectionDropped(f"{rule.id} dropped the connection")
        if rule.malformed:
            data = answer.body if answer is not None else MALFORMED
            return Answer(operation.success_status, data[: len(data) // 2])
        if rule.status is not None:
            headers = {"Retry-After": str(rule.retry_after)} if rule.status == 429 else {}
            message = f"{operation.operation_id} answered {rule.status}: injected by {rule.id}"
            return Answer.error(ERRORS[rule.status](message, headers=headers))
        assert answer is not None, "a rule that only delays never comes here before the handler"
        return answer


class NoFaults(FaultStage):
    """For an API that is never faulted or delayed (the admin API)."""

    async def latency(self, session: Session) -> None:
        pass

    async def before(self, session: Session, exchange: Exchange) -> Answer | None:
        return None

    async def after(self, session: Session, exchange: Exchange, answer: Answer) -> Answer:
        return answer
