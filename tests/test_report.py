"""The proxy's report (report.py): coverage, findings, JUnit and summary, on hand-made coverage
and violations; then on a live proxy's report, against its violations and admin.yaml."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from mka1_mock import report
from mka1_mock.errors import Detail
from mka1_mock.journal import Violation
from mka1_mock.report import UNDOCUMENTED, Counts
from mka1_mock.session import Session
from mka1_mock.settings import Settings
from mka1_mock.spec import Spec
from tests.helpers import (
    AUTH,
    GREETING_ID,
    PROMPTS,
    VALID_PROMPT,
    FakeUpstream,
    running_proxy,
    schema_errors,
    without,
)

REQUEST = {"method": "POST", "path": PROMPTS, "query": "", "headers": {}, "body": '{"name": ""}'}
RESPONSE = {"status": 418, "headers": {"content-type": "application/json"}, "body": "{}"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load()


def teapot() -> Violation:
    detail = Detail("response.status", "418 is not a status this operation declares")
    return Violation("listPrompts", "GET", PROMPTS, 418, (detail,), "response", REQUEST, RESPONSE)


def empty_name() -> Violation:
    details = (Detail("body.name", "must not be empty"), Detail("body.template", "is required"))
    return Violation("createPrompt", "POST", PROMPTS, 400, details, "request", REQUEST, None)


def built(spec: Spec, counts: Counts, violations: list[Violation], failures: int) -> Any:
    """The report of a session that counted ``counts`` and kept ``violations``, out of
    ``failures`` failures in all."""
    session = Session(Settings(), spec)
    session.counts = counts
    for violation in violations:
        session.violations.append(violation)
    counts.failures = failures
    return report.build(session)


@pytest.fixture
def coverage() -> Counts:
    counted = Counts()
    for status in (200, 200, 418):
        counted.count("listPrompts", "GET", PROMPTS, status)
    counted.count("createPrompt", "POST", PROMPTS, 400)
    counted.count(UNDOCUMENTED, "PATCH", PROMPTS, 200)
    counted.count(UNDOCUMENTED, "GET", "/other", 404)
    counted.count(UNDOCUMENTED, "GET", "/other", 404)
    return counted


def test_report_build_covers_every_operation_and_documented_status(
    spec: Spec, coverage: Counts
) -> None:
    data = built(spec, coverage, [], 0)

    by_id = {op["operation_id"]: op for op in data["coverage"]}
    assert set(by_id) == {op.operation_id for op in spec.operations}
    listing = {s["status"]: s for s in by_id["listPrompts"]["statuses"]}
    assert by_id["listPrompts"]["calls"] == 3
    assert listing[200] == {"status": 200, "documented": True, "seen": 2}
    assert listing[418] == {"status": 418, "documented": False, "seen": 1}
    assert listing[503] == {"status": 503, "documented": True, "seen": 0}
    assert by_id["getPrompt"]["calls"] == 0
    declared = {op.operation_id: {op.success_status, *op.error_statuses} for op in spec.operations}
    assert {s["status"] for s in by_id["getPrompt"]["statuses"]} == declared["getPrompt"]
    assert data["undocumented"] == [
        {"method": "GET", "path": "/other", "calls": 2},
        {"method": "PATCH", "path": PROMPTS, "calls": 1},
    ]
    assert data["summary"] == {
        "exchanges": 7,
        "operations": 9,
        "operations_called": 2,
        "statuses_documented": sum(len(statuses) for statuses in declared.values()),
        "statuses_seen": 2,
        "violations": 0,
        "undocumented_calls": 3,
        "unchecked": 0,
        "failed": False,
    }
    assert schema_errors("Report", data) == []


def test_report_build_lists_one_finding_per_failure_with_excerpts(
    spec: Spec, coverage: Counts
) -> None:
    data = built(spec, coverage, [teapot(), empty_name()], 3)

    assert [
        (f["side"], f["operation_id"], f["status"], f["location"]) for f in data["violations"]
    ] == [
        ("response", "listPrompts", 418, "response.status"),
        ("request", "createPrompt", 400, "body.name"),
        ("request", "createPrompt", 400, "body.template"),
    ]
    assert data["violations"][0]["request"] == REQUEST
    assert data["violations"][0]["response"] == RESPONSE
    assert data["violations"][2]["message"] == "is required"
    assert data["summary"]["violations"] == 3 and data["summary"]["failed"] is True
    assert data["violations_not_listed"] == 0
    assert schema_errors("Report", data) == []


def test_report_build_counts_violations_no_longer_kept(spec: Spec) -> None:
    data = built(spec, Counts(), [teapot()], 5)

    assert len(data["violations"]) == 1
    assert data["violations_not_listed"] == 4
    assert data["summary"]["violations"] == 5 and data["summary"]["failed"] is True


def cases_of(xml: str) -> dict[tuple[str, str], list[ElementTree.Element]]:
    suites = ElementTree.fromstring(xml)
    return {
        (case.get("classname", ""), case.get("name", "")): case.findall("failure")
        for case in suites.iter("testcase")
    }


def test_report_junit_has_a_case_per_status_seen_and_a_failure_per_finding(
    spec: Spec, coverage: Counts
) -> None:
    xml = report.junit(built(spec, coverage, [teapot(), empty_name()], 3))

    cases = cases_of(xml)
    assert set(cases) == {
        ("listPrompts", f"GET {PROMPTS} 200"),
        ("listPrompts", f"GET {PROMPTS} 418"),
        ("createPrompt", f"POST {PROMPTS} 400"),
        (UNDOCUMENTED, "GET /other"),
        (UNDOCUMENTED, f"PATCH {PROMPTS}"),
    }
    assert cases[("listPrompts", f"GET {PROMPTS} 200")] == []
    [teapot_failure] = cases[("listPrompts", f"GET {PROMPTS} 418")]
    assert teapot_failure.get("type") == "response"
    assert teapot_failure.get("message") == (
        "response: response.status 418 is not a status this operation declares"
    )
    assert '"status": 418' in (teapot_failure.text or "")
    messages = [f.get("message") for f in cases[("createPrompt", f"POST {PROMPTS} 400")]]
    assert messages == [
        "request: body.name must not be empty",
        "request: body.template is required",
    ]
    suites = ElementTree.fromstring(xml)
    [suite] = suites.iter("testsuite")
    for element in (suites, suite):
        assert (element.get("tests"), element.get("failures")) == ("5", "3")


def test_report_junit_of_no_traffic_is_an_empty_suite(spec: Spec) -> None:
    suites = ElementTree.fromstring(report.junit(built(spec, Counts(), [], 0)))
    assert (suites.get("tests"), suites.get("failures")) == ("0", "0")
    assert list(suites.iter("testcase")) == []


def test_report_summary_tells_coverage_never_called_and_findings(
    spec: Spec, coverage: Counts
) -> None:
    text = report.summary(built(spec, coverage, [teapot()] * 12, 12))

    lines = text.splitlines()
    assert lines[0] == "7 exchange(s), 12 violation(s), 3 undocumented call(s)"
    assert lines[1].startswith("coverage: 2 of 9 operations called, 2 of ")
    never = {op.operation_id for op in spec.operations} - {"listPrompts", "createPrompt"}
    assert lines[2].startswith("never called: ")
    assert set(lines[2].removeprefix("never called: ").split(", ")) == never
    shown = [line for line in lines if "response.status 418" in line]
    assert len(shown) == 10
    assert lines[-1] == "  ... and 2 more in the report"


# --------------------------------------------------------------------------- a live proxy


def live_traffic(app: FakeUpstream, url: str) -> list[int]:
    """Clean and broken exchanges through a report-mode proxy; X-Mock-Violations of each."""
    with httpx.Client(base_url=url, headers=AUTH) as client:
        responses = []
        for body in (VALID_PROMPT, without(VALID_PROMPT, "name"), VALID_PROMPT | {"x": 1}):
            app.plant(200, body)
            responses.append(client.get(f"{PROMPTS}/{GREETING_ID}"))
        app.plant(418, {"error": "teapot"})
        responses.append(client.get(f"{PROMPTS}/{GREETING_ID}"))
        error = {"type": "invalid_request_error", "message": "no", "code": 400}
        app.plant(400, {"error": error | {"param": None, "details": []}})
        responses.append(client.post(PROMPTS, json={"name": ""}))
        responses.append(client.get(PROMPTS, params={"limit": 0}))
    return [int(response.headers.get("x-mock-violations", 0)) for response in responses]


def test_report_of_a_live_proxy_matches_its_violations(fake: tuple[FakeUpstream, str]) -> None:
    app, url = fake
    with running_proxy(url) as proxy:
        counts = live_traffic(app, proxy.url)
        violations: list[dict[str, Any]] = httpx.get(proxy.url + "/__mock/violations").json()[
            "data"
        ]
        data = httpx.get(proxy.url + "/__mock/report").json()

    assert counts == [0, 1, 1, 1, 2, 1]
    assert schema_errors("Report", data) == []
    expected = [
        (v["side"], v["operation_id"], v["status"], d["location"], d["message"])
        for v in violations
        for d in v["details"]
    ]
    found = [
        (f["side"], f["operation_id"], f["status"], f["location"], f["message"])
        for f in data["violations"]
    ]
    assert found == expected and len(found) == sum(counts)

    cases = cases_of(report.junit(data))
    seen = {
        (op["operation_id"], f"{op['method']} {op['path']} {s['status']}")
        for op in data["coverage"]
        for s in op["statuses"]
        if s["seen"]
    }
    assert set(cases) == seen
    failures = [f.get("message", "") for found in cases.values() for f in found]
    assert sorted(failures) == sorted(f"{e[0]}: {e[3]} {e[4]}" for e in expected)


@pytest.mark.parametrize("mode", ["report", "enforce"])
def test_report_finding_shows_request_and_response_whichever_side_was_at_fault(
    fake: tuple[FakeUpstream, str], mode: str
) -> None:
    app, url = fake
    with running_proxy(url, mode=mode) as proxy:
        error = {"type": "invalid_request_error", "message": "no", "code": 400}
        app.plant(400, {"error": error | {"param": None, "details": []}})
        refused = httpx.post(proxy.url + PROMPTS, json={"name": ""}, headers=AUTH)
        app.plant(200, without(VALID_PROMPT, "name"))
        httpx.get(f"{proxy.url}{PROMPTS}/{GREETING_ID}", headers=AUTH)
        data = httpx.get(proxy.url + "/__mock/report").json()

    request_side, response_side = data["violations"][0], data["violations"][-1]
    assert (request_side["side"], response_side["side"]) == ("request", "response")
    assert response_side["request"]["path"] == f"{PROMPTS}/{GREETING_ID}"
    assert response_side["response"]["status"] == 200
    assert request_side["request"]["body"] == '{"name":""}'
    assert request_side["response"] is not None, request_side
    assert request_side["response"]["status"] == refused.status_code == 400
