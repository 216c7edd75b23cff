"""``mka1-mock drift --target`` against targets that differ from the mock on purpose: a mock behind
an app that changes known things. Each difference is reported on the probes it touches, with the
words of the difference, and on none other; the exit is 1."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from mka1_mock.drift.probes import SCENARIO
from mka1_mock.drift.runner import run
from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import AlteredTarget, Forwarded, mka1_mock_run, prompts_in

TOKEN = "drift-token"
ALL = {probe.name for probe in SCENARIO}
# Probes with a 400 among their answers.
WITH_400 = {
    "status-400",
    "error-body",
    "cursor-malformed-after",
    "create-null-description",
    "missing-body",
    "query-integer-strict",
    "variables-not-object",
    "nesting-limit",
    "validation-before-lookup",
}
# Probes with any error among their answers.
WITH_ERROR = WITH_400 | {
    "delete-prompt",
    "status-401",
    "status-404",
    "status-405",
    "status-413",
    "status-415",
    "cross-owner-get",
    "cross-token-get",
    "cursor-unknown-after",
    "unsupported-media-type",
    "size-limit",
    "version-zero",
    "trailing-slash",
}
# Probes that never get a prompt object back.
WITHOUT_PROMPT = {
    "status-400",
    "status-401",
    "status-404",
    "status-405",
    "status-413",
    "status-415",
    "error-body",
    "bearer-case",
    "cursor-unknown-after",
    "cursor-malformed-after",
    "create-null-description",
    "missing-body",
    "unsupported-media-type",
    "size-limit",
    "unknown-query-ignored",
    "nesting-limit",
    "trailing-slash",
    "validation-before-lookup",
}
WITH_PROMPT = ALL - WITHOUT_PROMPT


def status_422(answer: Forwarded) -> None:
    if answer.status == 400:
        answer.status = 422


def no_param(answer: Forwarded) -> None:
    if isinstance(answer.body, dict) and "error" in answer.body:
        del answer.body["error"]["param"]


def extra_field(answer: Forwarded) -> None:
    for prompt in prompts_in(answer.body):
        prompt["labels"] = []


def version_as_string(answer: Forwarded) -> None:
    for prompt in prompts_in(answer.body):
        prompt["active_version"] = str(prompt["active_version"])


def null_description(answer: Forwarded) -> None:
    for prompt in prompts_in(answer.body):
        prompt.setdefault("description", None)


class ForbidOtherOwners:
    """A 403 where the mock answers 404 to a request on a prompt whose creator sent another
    X-On-Behalf-Of."""

    PROMPT_PATH = re.compile(r"/api/v1/llm/prompts/(prompt_[0-9a-f]{32})")

    def __init__(self) -> None:
        self.creators: dict[str, str] = {}

    def __call__(self, answer: Forwarded) -> None:
        owner = answer.headers.get("x-on-behalf-of", "")
        if answer.status == 201 and answer.body.get("object") == "prompt":
            self.creators[answer.body["id"]] = owner
        found = self.PROMPT_PATH.match(answer.path)
        if found and answer.status == 404 and self.creators.get(found.group(1), owner) != owner:
            answer.status = 403
            error = {"type": "permission_denied_error", "message": "Not yours.", "code": 403}
            answer.body = {"error": error | {"param": None, "details": []}}


@dataclass(frozen=True)
class Case:
    change: Callable[[], Callable[[Forwarded], None]]
    differ: set[str]  # exactly the probes that must differ
    found: dict[str, list[str]]  # a probe's differences, all of them, in order
    agree: set[str]  # probes the change does not touch, named for the record


CASES = [
    pytest.param(
        Case(
            lambda: status_422,
            WITH_400,
            {
                "status-400": ["status: mock 400, target 422"],
                "validation-before-lookup": ["status: mock 400, target 422"],
            },
            {"create-prompt", "status-404", "cursor-unknown-after"},
        ),
        id="422-instead-of-400",
    ),
    pytest.param(
        Case(
            lambda: no_param,
            WITH_ERROR,
            {
                "status-404": ["body.error: only the mock has param"],
                "version-zero": ["body.error: only the mock has param"] * 2,
            },
            {"create-prompt", "get-prompt", "bearer-case"},
        ),
        id="no-param-in-errors",
    ),
    pytest.param(
        Case(
            lambda: extra_field,
            WITH_PROMPT,
            {
                "create-prompt": ["body: only the target has labels"],
                "list-versions": ["body: only the target has labels"],
                "cross-owner-list": ["body: only the target has labels"],
            },
            {"status-400", "bearer-case", "unknown-query-ignored"},
        ),
        id="extra-field-in-prompts",
    ),
    pytest.param(
        Case(
            lambda: version_as_string,
            WITH_PROMPT,
            {
                "create-prompt": ["body.active_version: mock an integer, target a string"],
                "rollback": ["body.active_version: mock an integer, target a string"] * 3,
            },
            {"status-404", "error-body", "cursor-unknown-after"},
        ),
        id="active-version-as-string",
    ),
    pytest.param(
        Case(
            ForbidOtherOwners,
            {"cross-owner-get"},
            {
                "cross-owner-get": [
                    "status: mock 404, target 403",
                    "body.error.code: mock 404, target 403",
                    "body.error.param: mock a string, target null",
                    "body.error.type: mock 'not_found_error', target 'permission_denied_error'",
                ]
            },
            {"cross-token-get", "cross-owner-list", "status-404", "delete-prompt"},
        ),
        id="403-for-another-owner",
    ),
    pytest.param(
        Case(
            lambda: null_description,
            WITH_PROMPT - {"create-prompt"},
            {
                "description-omitted": ["body: only the target has description"],
                "update-null-description": ["body: only the target has description"] * 2,
            },
            {"create-prompt", "status-400", "create-null-description"},
        ),
        id="null-description",
    ),
]


@dataclass
class Drifted:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    junit: ElementTree.Element
    left: dict[str, Any]  # the state behind the target after the run

    def differing(self) -> set[str]:
        return {p["name"] for p in self.report["probes"] if p["result"] == "differ"}

    def found(self, name: str) -> list[str]:
        [probe] = [p for p in self.report["probes"] if p["name"] == name]
        return [found for step in probe["steps"] for found in step["differences"]]


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture(scope="module", params=CASES)
def drifted(
    request: pytest.FixtureRequest, upstream: MockServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Case, Drifted]]:
    """One drift run per case, against the upstream mock behind the case's change."""
    case: Case = request.param
    upstream.reset()
    folder = tmp_path_factory.mktemp("drift")
    report, junit = folder / "report.json", folder / "junit.xml"
    with ThreadedServer(AlteredTarget(upstream.url, case.change())) as target:
        result = mka1_mock_run(
            "drift", "--target", target.url, "--token", TOKEN, "--report", str(report),
            "--junit", str(junit),
        )  # fmt: skip
    yield case, Drifted(
        result, json.loads(Path(report).read_text()), ElementTree.parse(junit).getroot(),
        httpx.get(upstream.url + "/__mock/state").json(),
    )  # fmt: skip


def test_drift_differing_target_exits_1(drifted: tuple[Case, Drifted]) -> None:
    _, run = drifted
    assert run.result.returncode == 1, run.result.stderr
    assert "Traceback" not in run.result.stderr


def test_drift_differing_target_differs_on_exactly_the_probes_touched(
    drifted: tuple[Case, Drifted],
) -> None:
    case, run = drifted
    assert run.differing() == case.differ
    summary = run.report["summary"]
    assert (summary["differ"], summary["agree"]) == (len(case.differ), 48 - len(case.differ))


def test_drift_differing_target_says_what_differs(drifted: tuple[Case, Drifted]) -> None:
    case, run = drifted
    assert {name: run.found(name) for name in case.found} == case.found


def test_drift_differing_target_keeps_untouched_probes_agreeing(
    drifted: tuple[Case, Drifted],
) -> None:
    case, run = drifted
    assert case.agree <= ALL - run.differing()
    assert all(run.found(name) == [] for name in case.agree)


def test_drift_differing_target_table_shows_each_difference_on_its_probe_row(
    drifted: tuple[Case, Drifted],
) -> None:
    case, run = drifted
    rows = {line.split()[0]: line for line in run.result.stdout.splitlines()[2:]}
    assert set(rows) == ALL
    for name in ALL:
        assert rows[name].split()[1] == ("differ" if name in case.differ else "agree")
    for name, found in case.found.items():
        assert found[0] in rows[name]


def test_drift_differing_target_lists_contradicted_choices_in_the_summary(
    drifted: tuple[Case, Drifted],
) -> None:
    case, run = drifted
    choices = [p.name for p in SCENARIO if p.choice]
    contradicted = [name for name in choices if name in case.differ]
    summary = run.report["summary"]
    assert summary["choices_contradicted"] == contradicted
    assert summary["choices_confirmed"] == [n for n in choices if n not in case.differ]
    line = f"README choices the target contradicted ({len(contradicted)}): "
    assert line + ", ".join(contradicted) in run.result.stderr


def test_drift_differing_target_junit_fails_exactly_the_differing_probes(
    drifted: tuple[Case, Drifted],
) -> None:
    case, run = drifted
    [suite] = run.junit.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 48
    failed = {c.get("name"): c.findall("failure") for c in cases if c.findall("failure")}
    assert set(failed) == case.differ
    assert all(len(failures) == 1 for failures in failed.values())
    for name, found in case.found.items():
        [failure] = failed[name]
        assert found[0] in failure.get("message", "")
        assert all(text in (failure.text or "") for text in found)
    assert suite.get("failures") == run.junit.get("failures") == str(len(case.differ))


def test_drift_differing_target_cleans_up_behind_the_target(drifted: tuple[Case, Drifted]) -> None:
    _, run = drifted
    assert run.left == {"prompts": []}
    cleanup = run.report["cleanup"]
    assert cleanup["created"] == cleanup["deleted"] == 32
    assert cleanup["leftovers"] == []


def reverse_prompt_lists(answer: Forwarded) -> None:
    """listPrompts pages in the other order (first_id and last_id to match)."""
    body = answer.body
    if answer.path == "/api/v1/llm/prompts" and answer.status == 200 and len(body["data"]) > 1:
        body["data"].reverse()
        body["first_id"], body["last_id"] = body["data"][0]["id"], body["data"][-1]["id"]


def test_drift_prompt_list_in_the_wrong_order_differs_on_list_prompts(
    upstream: MockServer,
) -> None:
    """``order`` is a value the request determines: newest first by default, oldest first with
    ``order=asc``. The probe made p1, p2, p3 on each side and knows which ID is which."""
    upstream.reset()
    with ThreadedServer(AlteredTarget(upstream.url, reverse_prompt_lists)) as target:
        outcome = run(target.url, TOKEN)

    differing = {o.probe.name for o in outcome.outcomes if not o.agrees}
    assert differing == {"list-prompts"}
