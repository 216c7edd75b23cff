"""What a drift run tells: a table per probe, a JSON report, JUnit XML, and the README's choices
the target confirmed or contradicted."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from .runner import Run


def report(run: Run, target: str) -> dict[str, Any]:
    """The run as JSON data."""
    probes = [
        {
            "name": outcome.probe.name,
            "choice": outcome.probe.choice,
            "result": "agree" if outcome.agrees else "differ",
            "steps": outcome.steps,
        }
        for outcome in run.outcomes
    ]
    choices = [probe for probe in probes if probe["choice"]]
    return {
        "target": target,
        "summary": {
            "probes": len(probes),
            "agree": sum(1 for probe in probes if probe["result"] == "agree"),
            "differ": sum(1 for probe in probes if probe["result"] == "differ"),
            "choices_confirmed": [p["name"] for p in choices if p["result"] == "agree"],
            "choices_contradicted": [p["name"] for p in choices if p["result"] == "differ"],
            "stopped": run.stopped,
        },
        "cleanup": {"created": run.created, "deleted": run.deleted, "leftovers": run.leftovers},
        "probes": probes,
    }


def exchanges_report(
    steps: list[dict[str, Any]], recording: str, against: str, stopped: str | None
) -> dict[str, Any]:
    """A replay of a recording as JSON data: one entry per exchange."""
    differ = sum(1 for step in steps if step["differences"])
    return {
        "recording": recording,
        "against": against,
        "summary": {"exchanges": len(steps), "agree": len(steps) - differ, "differ": differ},
        "stopped": stopped,
        "exchanges": steps,
    }


def table(rows: list[tuple[str, str, list[str]]]) -> str:
    """name, agree/differ, and what differs (the first three, then a count)."""
    width = max((len(name) for name, _, _ in rows), default=10) + 2
    lines = [f"{'probe':{width}}result  what differs", f"{'-' * (width - 2):{width}}------  ----"]
    for name, result, found in rows:
        shown = "; ".join(found[:3]) + (f"; ... {len(found) - 3} more" if len(found) > 3 else "")
        lines.append(f"{name:{width}}{result:8}{shown}")
    return "\n".join(lines)


def probe_rows(data: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """Per probe: its name, its result, and per step that differs, the request and how."""
    return [
        (
            probe["name"],
            probe["result"],
            [
                f"{_short(step['request'])}: {', '.join(step['differences'])}"
                for step in probe["steps"]
                if step["differences"]
            ],
        )
        for probe in data["probes"]
    ]


def _short(request: str, width: int = 60) -> str:
    return request if len(request) <= width else request[: width - 3] + "..."


def exchange_rows(data: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    rows = []
    for index, step in enumerate(data["exchanges"], start=1):
        result = "differ" if step["differences"] else "agree"
        rows.append((f"#{index} {step['request']}"[:70], result, step["differences"]))
    return rows


def summary(data: dict[str, Any]) -> str:
    figures = data["summary"]
    lines = [
        f"{figures['probes']} probes: {figures['agree']} agree, {figures['differ']} differ.",
        f"README choices the target confirmed ({len(figures['choices_confirmed'])}): "
        + (", ".join(figures["choices_confirmed"]) or "none"),
        f"README choices the target contradicted ({len(figures['choices_contradicted'])}): "
        + (", ".join(figures["choices_contradicted"]) or "none"),
    ]
    cleanup = data["cleanup"]
    lines.append(
        f"Created {cleanup['created']} prompts on the target, deleted {cleanup['deleted']}."
    )
    if cleanup["leftovers"]:
        lines.append("Left on the target (delete them with these headers):")
        for left in cleanup["leftovers"]:
            lines.append(f"  {left['id']} (X-On-Behalf-Of: {left['on_behalf_of']})")
    if figures["stopped"]:
        lines.append(f"Stopped early: {figures['stopped']}.")
    return "\n".join(lines)


def junit(rows: list[tuple[str, str, list[str]]], suite: str) -> str:
    """One test case per probe (or exchange), one failure for each that differs."""
    failures = sum(1 for _, result, _ in rows if result == "differ")
    root = ElementTree.Element("testsuites", name="mka1-mock drift", tests=str(len(rows)))
    root.set("failures", str(failures))
    tests = ElementTree.SubElement(root, "testsuite", name=suite, tests=str(len(rows)))
    tests.set("failures", str(failures))
    tests.set("errors", "0")
    for name, result, found in rows:
        case = ElementTree.SubElement(tests, "testcase", classname=suite, name=name)
        if result == "differ":
            failure = ElementTree.SubElement(case, "failure", message=found[0] if found else "")
            failure.text = "\n".join(found)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
