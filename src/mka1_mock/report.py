"""The report: contract coverage per operation and status, every violation, undocumented calls;
as JSON (``GET /__mock/report``, ``--report``), as JUnit XML (``--junit``) and as a summary."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from .journal import Violation
from .spec import Operation

if TYPE_CHECKING:
    from .session import Session

UNDOCUMENTED = "(undocumented)"
"""The operationId of a request the contract has no operation for."""


class Counts:
    """What the report counts: the exchanges of each operation and status, the calls outside
    the contract, the failures of every violation (listed or not), the answers not checked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.statuses: dict[str, Counter[int]] = {}
        self.undocumented: Counter[tuple[str, str]] = Counter()
        self.failures = 0
        self.unchecked = 0

    def failed(self, failures: int) -> None:
        with self._lock:
            self.failures += failures

    def skipped(self) -> None:
        with self._lock:
            self.unchecked += 1

    def count(self, operation_id: str, method: str, path: str, status: int) -> None:
        with self._lock:
            if operation_id == UNDOCUMENTED:
                self.undocumented[(method, path)] += 1
            else:
                self.statuses.setdefault(operation_id, Counter())[status] += 1

    def snapshot(self) -> tuple[dict[str, Counter[int]], Counter[tuple[str, str]]]:
        with self._lock:
            statuses = {key: Counter(counts) for key, counts in self.statuses.items()}
            return statuses, Counter(self.undocumented)


def build(session: Session) -> dict[str, Any]:
    """A session's report as JSON data. Each failure of a violation counts one; the newest
    violations are listed (as many as the journal keeps)."""
    spec, counts = session.spec, session.counts
    statuses, calls = counts.snapshot()
    violations = list(session.violations)
    operations = [
        _operation(op, statuses.get(op.operation_id, Counter())) for op in spec.operations
    ]
    undocumented = [
        {"method": method, "path": path, "calls": count}
        for (method, path), count in sorted(calls.items())
    ]
    findings = [finding for violation in violations for finding in _findings(violation)]
    total = max(counts.failures, len(findings))
    documented = [s for op in operations for s in op["statuses"] if s["documented"]]
    called = sum(op["calls"] for op in operations)
    summary = {
        "exchanges": called + sum(calls.values()),
        "operations": len(operations),
        "operations_called": sum(1 for op in operations if op["calls"]),
        "statuses_documented": len(documented),
        "statuses_seen": sum(1 for s in documented if s["seen"]),
        "violations": total,
        "undocumented_calls": sum(calls.values()),
        "unchecked": counts.unchecked,
        "failed": bool(total),
    }
    return {
        "summary": summary,
        "coverage": operations,
        "violations": findings,
        "violations_not_listed": total - len(findings),
        "undocumented": undocumented,
    }


def _operation(operation: Operation, seen: Counter[int]) -> dict[str, Any]:
    declared = {operation.success_status, *operation.error_statuses}
    statuses = [
        {"status": status, "documented": status in declared, "seen": seen.get(status, 0)}
        for status in sorted(declared | set(seen))
    ]
    return {
        "operation_id": operation.operation_id,
        "method": operation.method,
        "path": operation.path,
        "calls": sum(seen.values()),
        "statuses": statuses,
    }


def _findings(violation: Violation) -> list[dict[str, Any]]:
    """One entry per failure of a violation, with where it happened and the excerpts."""
    base = {
        "side": violation.side,
        "operation_id": violation.operation_id,
        "method": violation.method,
        "path": violation.path,
        "status": violation.status,
    }
    excerpts = {"request": violation.request, "response": violation.response}
    details = violation.details or ()
    return [base | detail.as_dict() | excerpts for detail in details]


def junit(report: dict[str, Any]) -> str:
    """JUnit XML: one test case per operation and status seen (and per undocumented call), one
    failure per violation, so CI systems show the contract's state natively."""
    cases: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for operation in report["coverage"]:
        for status in operation["statuses"]:
            if status["seen"]:
                name = f"{operation['method']} {operation['path']} {status['status']}"
                cases[(operation["operation_id"], name)] = []
    for finding in report["violations"]:
        key = (finding["operation_id"], _case_name(report, finding))
        cases.setdefault(key, []).append(finding)
    for call in report["undocumented"]:
        cases.setdefault((UNDOCUMENTED, f"{call['method']} {call['path']}"), [])
    failed = str(sum(len(found) for found in cases.values()))
    suites = ElementTree.Element("testsuites", name="mka1-mock", tests=str(len(cases)))
    suites.set("failures", failed)
    suite = ElementTree.SubElement(suites, "testsuite", name="contract", tests=str(len(cases)))
    suite.set("failures", failed)
    suite.set("errors", "0")
    for (classname, name), found in cases.items():
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name)
        for finding in found:
            failure = ElementTree.SubElement(case, "failure", type=finding["side"])
            failure.set("message", _failure_message(finding))
            failure.text = _failure_text(finding)
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _case_name(report: dict[str, Any], finding: dict[str, Any]) -> str:
    """The test case of the operation and status a finding happened at."""
    for operation in report["coverage"]:
        if operation["operation_id"] == finding["operation_id"]:
            return f"{operation['method']} {operation['path']} {finding['status']}"
    return f"{finding['method']} {finding['path']}"  # undocumented, with --strict


def _failure_message(finding: dict[str, Any]) -> str:
    return f"{finding['side']}: {finding['location']} {finding['message']}"


def _failure_text(finding: dict[str, Any]) -> str:
    lines = [_failure_message(finding)]
    for side in ("request", "response"):
        if finding.get(side):
            lines.append(f"{side}: {json.dumps(finding[side], ensure_ascii=False)}")
    return "\n".join(lines)


def summary(report: dict[str, Any]) -> str:
    """A few lines for a person at the end of a run."""
    figures = report["summary"]
    never = [op["operation_id"] for op in report["coverage"] if not op["calls"]]
    lines = [
        f"{figures['exchanges']} exchange(s), {figures['violations']} violation(s), "
        f"{figures['undocumented_calls']} undocumented call(s)",
        f"coverage: {figures['operations_called']} of {figures['operations']} operations called, "
        f"{figures['statuses_seen']} of {figures['statuses_documented']} documented statuses seen",
    ]
    if never:
        lines.append("never called: " + ", ".join(never))
    for finding in report["violations"][:10]:
        where = f"{finding['method']} {finding['path']} ({finding['operation_id']})"
        lines.append(f"  {where} {finding['status']}: {_failure_message(finding)}")
    if len(report["violations"]) > 10:
        lines.append(f"  ... and {len(report['violations']) - 10} more in the report")
    return "\n".join(lines)
