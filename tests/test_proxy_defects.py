"""The proxy in front of a deliberately broken upstream (``FakeUpstream``, with planted defects
and a log of every request it received), in both modes: each defect reported on the right side
and at the right location; bad requests kept from the upstream in enforce mode only."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from mka1_mock.server import ThreadedServer
from tests.helpers import (
    AUTH,
    GREETING_ID,
    PROMPTS,
    VALID_PROMPT,
    FakeUpstream,
    assert_error,
    is_plain,
    running_proxy,
    without,
)

PROMPT = f"{PROMPTS}/{GREETING_ID}"
JSON = [("content-type", "application/json")]
GZIP = [*JSON, ("content-encoding", "gzip")]


def contract_error(status: int) -> dict[str, Any]:
    kind = {400: "invalid_request_error", 415: "unsupported_media_type_error"}[status]
    return {"error": {"type": kind, "message": "no", "code": status, "param": None, "details": []}}


def encoded(data: Any) -> bytes:
    return json.dumps(data).encode()


def with_auth(options: dict[str, Any]) -> dict[str, Any]:
    return options | {"headers": AUTH | options.get("headers", {})}


def violations_of(proxy: ThreadedServer) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(proxy.url + "/__mock/violations").json()["data"]
    return data


# Planted in the answer to getPrompt: status, headers, body; where they break the contract
DEFECTS = [
    pytest.param(200, JSON, encoded(VALID_PROMPT | {"surprise": 1}), ["response.body"], id="extra"),
    pytest.param(
        200,
        JSON,
        encoded(VALID_PROMPT | {"active_version": "1"}),
        ["response.body.active_version"],
        id="wrong-type",
    ),
    pytest.param(
        200, JSON, encoded(without(VALID_PROMPT, "name")), ["response.body.name"], id="missing"
    ),
    pytest.param(418, JSON, b'{"error": "teapot"}', ["response.status"], id="status-418"),
    pytest.param(403, JSON, encoded(contract_error(400)), ["response.status"], id="forbidden-403"),
    pytest.param(
        500,
        [("content-type", "text/html")],
        b"<html><body>Internal Server Error</body></html>",
        ["response.header.Content-Type"],
        id="html-500",
    ),
    pytest.param(
        200,
        [("content-type", "text/plain")],
        encoded(VALID_PROMPT),
        ["response.header.Content-Type"],
        id="wrong-content-type",
    ),
    pytest.param(200, JSON, b'{"id": "prompt_', ["response.body"], id="invalid-json"),
    pytest.param(200, JSON, b"", ["response.body"], id="empty-body"),
    pytest.param(
        200,
        GZIP,
        gzip.compress(encoded(without(VALID_PROMPT, "name"))),
        ["response.body.name"],
        id="gzip-missing",
    ),
    pytest.param(
        200, GZIP, b"not gzip at all", ["response.header.Content-Encoding"], id="bad-gzip"
    ),
]


@pytest.mark.parametrize(("status", "headers", "body", "locations"), DEFECTS)
def test_proxy_report_mode_forwards_a_defect_unchanged_and_reports_it(
    fake: tuple[FakeUpstream, str],
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    locations: list[str],
) -> None:
    app, url = fake
    app.plant(status, body, headers)
    with running_proxy(url) as proxy:
        with httpx.stream("GET", proxy.url + PROMPT, headers=AUTH) as response:
            raw = b"".join(response.iter_raw())
        violations = violations_of(proxy)

    assert response.status_code == status
    assert raw == body
    for name, value in headers:
        assert response.headers[name] == value
    assert response.headers["x-mock-violations"] == str(len(locations))
    [violation] = violations
    assert (violation["side"], violation["operation_id"]) == ("response", "getPrompt")
    assert violation["status"] == status
    assert sorted(d["location"] for d in violation["details"]) == sorted(locations)
    assert all(is_plain(d["message"]) for d in violation["details"]), violation["details"]
    assert violation["response"]["status"] == status


@pytest.mark.parametrize(("status", "headers", "body", "locations"), DEFECTS)
def test_proxy_enforce_mode_replaces_a_defect_with_a_502_naming_it(
    fake: tuple[FakeUpstream, str],
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    locations: list[str],
) -> None:
    app, url = fake
    app.plant(status, body, headers)
    with running_proxy(url, mode="enforce") as proxy:
        response = httpx.get(proxy.url + PROMPT, headers=AUTH)
        violations = violations_of(proxy)

    error = assert_error(response, 502, locations=locations, mentions="upstream")
    assert f"{status} response of getPrompt" in error["message"]
    assert "content-encoding" not in response.headers
    assert response.headers["x-mock-violations"] == str(len(locations))
    [violation] = violations
    assert (violation["side"], violation["status"]) == ("response", status)
    assert violation["details"] == error["details"]


@pytest.mark.parametrize("mode", ["report", "enforce"])
@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON"],
)
def test_proxy_passes_a_valid_answer_without_a_violation(
    fake: tuple[FakeUpstream, str], mode: str, content_type: str
) -> None:
    app, url = fake
    app.plant(200, VALID_PROMPT, [("content-type", content_type)])
    with running_proxy(url, mode=mode) as proxy:
        response = httpx.get(proxy.url + PROMPT, headers=AUTH)
        violations = violations_of(proxy)

    assert response.status_code == 200
    assert response.content == encoded(VALID_PROMPT)
    assert response.headers["content-type"] == content_type
    assert "x-mock-violations" not in response.headers
    assert violations == []


@pytest.mark.parametrize("mode", ["report", "enforce"])
def test_proxy_checks_a_gzip_body_decoded_and_forwards_it_encoded(
    fake: tuple[FakeUpstream, str], mode: str
) -> None:
    app, url = fake
    compressed = gzip.compress(encoded(VALID_PROMPT))
    app.plant(200, compressed, GZIP)
    with running_proxy(url, mode=mode) as proxy:
        with httpx.stream("GET", proxy.url + PROMPT, headers=AUTH) as response:
            raw = b"".join(response.iter_raw())
        decoded = httpx.get(proxy.url + PROMPT, headers=AUTH)
        violations = violations_of(proxy)

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(len(compressed))
    assert raw == compressed
    assert decoded.json() == VALID_PROMPT
    assert "x-mock-violations" not in response.headers
    assert violations == []


def test_proxy_report_mode_keeps_an_upstream_403_a_403(fake: tuple[FakeUpstream, str]) -> None:
    app, url = fake
    forbidden = {"error": {"type": "permission_error", "message": "not yours", "code": 403}}
    app.plant(403, forbidden, [*JSON, ("www-authenticate", 'Bearer error="insufficient_scope"')])
    with running_proxy(url) as proxy:
        response = httpx.get(proxy.url + PROMPT, headers=AUTH)
        report = httpx.get(proxy.url + "/__mock/report").json()

    assert response.status_code == 403
    assert response.json() == forbidden
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    [finding] = report["violations"]
    assert (finding["side"], finding["status"], finding["location"]) == (
        "response",
        403,
        "response.status",
    )
    getprompt = next(op for op in report["coverage"] if op["operation_id"] == "getPrompt")
    assert {"status": 403, "documented": False, "seen": 1} in getprompt["statuses"]


def test_proxy_no_violations_header_still_records_the_violation(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    app.plant(200, without(VALID_PROMPT, "name"))
    with running_proxy(url, violations_header=False) as proxy:
        response = httpx.get(proxy.url + PROMPT, headers=AUTH)
        violations = violations_of(proxy)

    assert response.status_code == 200
    assert "x-mock-violations" not in response.headers
    assert [d["location"] for v in violations for d in v["details"]] == ["response.body.name"]


def test_proxy_no_validate_response_forwards_a_defect_in_enforce_mode(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    app.plant(200, without(VALID_PROMPT, "name"))
    with running_proxy(url, mode="enforce", validate_response=False) as proxy:
        response = httpx.get(proxy.url + PROMPT, headers=AUTH)
        violations = violations_of(proxy)

    assert response.status_code == 200 and response.json() == without(VALID_PROMPT, "name")
    assert violations == []


# Requests that break the contract: (method, path, request options, the mock's status, where)
BAD_REQUESTS = [
    pytest.param(
        "POST",
        PROMPTS,
        {"json": {"name": "", "template": "t"}},
        400,
        ["body.name"],
        id="empty-name",
    ),
    pytest.param(
        "POST",
        PROMPTS,
        {"content": b'{"name": "a", "template": "t"}', "headers": {"Content-Type": "text/plain"}},
        415,
        ["header.Content-Type"],
        id="wrong-content-type",
    ),
    pytest.param("GET", PROMPTS, {"params": {"limit": 0}}, 400, ["query.limit"], id="limit-0"),
    pytest.param(
        "POST",
        PROMPTS,
        {"content": b'{"name": ', "headers": {"Content-Type": "application/json"}},
        400,
        ["body"],
        id="malformed-json",
    ),
    pytest.param(
        "GET", PROMPT + "/versions/two", {}, 400, ["path.version"], id="version-not-a-number"
    ),
]


@pytest.mark.parametrize(("method", "path", "options", "status", "locations"), BAD_REQUESTS)
def test_proxy_enforce_mode_never_sends_a_bad_request_upstream(
    fake: tuple[FakeUpstream, str],
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
    locations: list[str],
) -> None:
    app, url = fake
    with running_proxy(url, mode="enforce") as proxy:
        response = httpx.request(method, proxy.url + path, **with_auth(options))
        violations = violations_of(proxy)

    assert_error(response, status, locations=locations)
    assert response.headers["x-mock-violations"] == str(len(locations))
    assert app.received == []
    [violation] = violations
    assert (violation["side"], violation["status"]) == ("request", status)
    assert [d["location"] for d in violation["details"]] == locations


@pytest.mark.parametrize(("method", "path", "options", "status", "locations"), BAD_REQUESTS)
def test_proxy_report_mode_forwards_a_bad_request_and_reports_it(
    fake: tuple[FakeUpstream, str],
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
    locations: list[str],
) -> None:
    app, url = fake
    app.plant(status, contract_error(status))
    with running_proxy(url) as proxy:
        response = httpx.request(method, proxy.url + path, **with_auth(options))
        violations = violations_of(proxy)

    assert response.status_code == status
    assert response.json() == contract_error(status)  # the upstream's own answer
    assert response.headers["x-mock-violations"] == str(len(locations))
    [received] = app.received
    assert (received.method, received.path) == (method, path)
    sent = response.request
    assert received.body == sent.content
    assert received.header("content-type") == sent.headers.get("content-type")
    [violation] = violations
    assert (violation["side"], violation["status"]) == ("request", status)
    assert [d["location"] for d in violation["details"]] == locations


def test_proxy_no_validate_request_forwards_a_bad_request_in_enforce_mode(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    app.plant(400, contract_error(400))
    with running_proxy(url, mode="enforce", validate_request=False) as proxy:
        response = httpx.get(proxy.url + PROMPTS, params={"limit": 0}, headers=AUTH)
        violations = violations_of(proxy)

    assert response.status_code == 400 and response.json() == contract_error(400)
    assert [(r.method, r.query) for r in app.received] == [("GET", b"limit=0")]
    assert violations == []
