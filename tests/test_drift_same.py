"""``mka1-mock drift --target`` against a second mka1-mock process: the same implementation, so
every probe agrees, and the run cleans up after itself. One run, shared by the module."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from mka1_mock.drift.probes import SCENARIO
from tests.helpers import mka1_mock_run

TOKEN = "drift-token"


@dataclass
class SameRun:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    junit: ElementTree.Element
    state: dict[str, Any]  # the target's whole state after the run
    journal: list[dict[str, Any]]  # the requests the target received


@pytest.fixture(scope="module")
def same(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SameRun]:
    """``mka1-mock --port 0`` as a real process, and one drift run against it."""
    folder = tmp_path_factory.mktemp("drift-same")
    report, junit = folder / "report.json", folder / "junit.xml"
    command = [sys.executable, "-m", "mka1_mock", "--port", "0", "--journal-size", "5000"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        result = mka1_mock_run(
            "drift", "--target", url, "--token", TOKEN, "--report", str(report),
            "--junit", str(junit),
        )  # fmt: skip
        state = httpx.get(url + "/__mock/state").json()
        journal = httpx.get(url + "/__mock/requests").json()["data"]
        yield SameRun(
            result, json.loads(report.read_text()), ElementTree.parse(junit).getroot(), state,
            journal,
        )  # fmt: skip
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def test_drift_same_implementation_exits_0_with_every_probe_agreeing(same: SameRun) -> None:
    assert same.result.returncode == 0, same.result.stderr
    assert [p["name"] for p in same.report["probes"]] == [p.name for p in SCENARIO]
    assert len(same.report["probes"]) == 48
    assert [p["name"] for p in same.report["probes"] if p["result"] != "agree"] == []
    assert same.report["summary"] | {"choices_confirmed": None} == {
        "probes": 48,
        "agree": 48,
        "differ": 0,
        "choices_confirmed": None,
        "choices_contradicted": [],
        "stopped": None,
    }
    assert "48 probes: 48 agree, 0 differ." in same.result.stderr


def test_drift_same_implementation_prints_one_agreeing_row_per_probe(same: SameRun) -> None:
    rows = same.result.stdout.splitlines()[2:]
    assert [row.split() for row in rows] == [[p.name, "agree"] for p in SCENARIO]


def test_drift_same_implementation_confirms_every_readme_choice(same: SameRun) -> None:
    choices = [p.name for p in SCENARIO if p.choice]
    assert len(choices) == 31
    assert same.report["summary"]["choices_confirmed"] == choices
    assert f"README choices the target confirmed ({len(choices)}): " in same.result.stderr
    assert "README choices the target contradicted (0): none" in same.result.stderr


def test_drift_same_implementation_leaves_the_target_store_empty(same: SameRun) -> None:
    assert same.state == {"prompts": []}
    assert same.report["cleanup"]["leftovers"] == []


def test_drift_same_implementation_reports_as_many_deletes_as_creates(same: SameRun) -> None:
    created = [
        e for e in same.journal if e["operation_id"] == "createPrompt" and e["status"] == 201
    ]
    deleted = [
        e for e in same.journal if e["operation_id"] == "deletePrompt" and e["status"] == 200
    ]
    assert len(created) == len(deleted) == 32
    assert same.report["cleanup"] == {"created": 32, "deleted": 32, "leftovers": []}
    assert "Created 32 prompts on the target, deleted 32." in same.result.stderr


def test_drift_same_implementation_creates_only_as_owners_of_its_own(same: SameRun) -> None:
    """Each probe acts on behalf of owners of its own (none only where the probe is about a
    missing X-On-Behalf-Of), so it never touches the target's data, nor another probe's."""
    made = [e for e in same.journal if e["operation_id"] == "createPrompt" and e["status"] == 201]
    owners = [e["headers"].get("x-on-behalf-of") for e in made]
    assert owners.count(None) == 1
    named = [o for o in owners if o is not None]
    assert all(re.fullmatch(r"mka1-mock-drift-[0-9a-f]{8}-\d+-a", o) for o in named), named
    # 30 probes create a prompt; empty-on-behalf-of does so on behalf of no one
    assert len({o.rsplit("-", 2)[1] for o in named}) == 29


def test_drift_same_implementation_junit_has_one_passing_testcase_per_probe(
    same: SameRun,
) -> None:
    [suite] = same.junit.findall("testsuite")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == [p.name for p in SCENARIO]
    assert [case for case in cases if case.find("failure") is not None] == []
    assert suite.get("tests") == "48" and suite.get("failures") == "0"
    assert same.junit.get("failures") == "0"


def test_drift_same_implementation_report_records_every_request_of_every_probe(
    same: SameRun,
) -> None:
    for probe, data in zip(SCENARIO, same.report["probes"], strict=True):
        assert data["choice"] == probe.choice
        assert len(data["steps"]) == len(probe.steps), probe.name
        for step, recorded in zip(probe.steps, data["steps"], strict=True):
            assert recorded["request"].startswith(f"{step.method} {step.path}")
            assert recorded["mock"] == recorded["target"] > 0
            assert recorded["differences"] == []
