"""Injected answers of every declared status, by a rule or by ``Prefer: code=...``: each keeps
the contract (``Error``, or the gateway's 429), and a rule the contract cannot keep is refused.
Against the shared real uvicorn; the SDK where it matters, raw httpx for headers and bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError

from mka1_mock import ApiError
from mka1_mock.server import MockServer
from tests.helpers import (
    PROMPTS,
    RATE_LIMITED,
    FakeSleep,
    assert_error,
    fault_ids,
    statuses,
)

# --------------------------------------------------------------------------- Prefer


def test_prefer_code_503_is_a_spec_valid_server_error(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=503"})

    error = assert_error(caught.value, 503, mentions="listPrompts")
    assert (error["type"], error["code"]) == ("server_error", 503)
    (entry,) = server.requests()
    assert (entry.status, entry.fault) == (503, "Prefer")
    assert entry.headers["prefer"] == "code=503"
    assert server.violations() == []


def test_prefer_code_429_is_the_gateway_body_with_retry_after(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=429"})

    assert_error(caught.value, 429)
    assert json.loads(caught.value.body) == RATE_LIMITED
    assert int(caught.value.headers["retry-after"]) >= 0
    assert fault_ids(server.requests()) == ["Prefer"]


def test_prefer_undeclared_code_is_a_400_naming_prefer(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=418"})

    error = assert_error(caught.value, 400, param="Prefer", locations=["header.Prefer"])
    assert "418" in error["details"][0]["message"]
    (entry,) = server.requests()
    assert entry.status == 400
    assert [detail.location for detail in entry.request_errors] == ["header.Prefer"]


@pytest.mark.parametrize("prefer", ["code=abc", "delay=soon", "delay=-5", "delay=600001"])
def test_prefer_with_bad_values_is_a_400(sdk: SDK, prefer: str) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": prefer})

    assert_error(caught.value, 400, param="Prefer", locations=["header.Prefer"])


def test_prefer_delay_delays_a_normal_answer(
    server: MockServer, sdk: SDK, sleeps: FakeSleep
) -> None:
    created = sdk.llm.prompts.create(name="p", template="t")

    page = sdk.llm.prompts.list(http_headers={"Prefer": "delay=200"})

    assert [prompt.id for prompt in page.data] == [created.id]
    assert sleeps.waits == [0.2]
    entry = server.requests("listPrompts")[-1]
    assert (entry.status, entry.fault) == (200, "Prefer")


def test_prefer_success_code_is_a_normal_answer(server: MockServer, sdk: SDK) -> None:
    page = sdk.llm.prompts.list(http_headers={"Prefer": "code=200"})

    assert page.data == []
    assert fault_ids(server.requests()) == [None]


def test_prefer_comes_after_authentication(server: MockServer, http: httpx.Client) -> None:
    response = http.get(PROMPTS, headers={"Authorization": "", "Prefer": "code=503"})

    assert_error(response, 401)
    assert fault_ids(server.requests()) == [None]


def test_prefer_is_ignored_by_the_admin_api(http: httpx.Client) -> None:
    response = http.get("/__mock/health", headers={"Prefer": "code=503"})

    assert response.status_code == 200


# --------------------------------------------------------------------------- response validation


def _path_and_body(operation: Any, prompt_id: str) -> tuple[str, Any]:
    path = operation.path.replace("{id}", prompt_id).replace("{version}", "1")
    return path, ({"name": "x"} if operation.takes_body else None)


@pytest.mark.parametrize("how", ["rule", "Prefer"])
def test_every_declared_status_of_every_operation_passes_response_validation(
    server: MockServer, sdk: SDK, http: httpx.Client, how: str
) -> None:
    prompt_id = sdk.llm.prompts.create(name="target", template="t").id
    server.clear_requests()
    seen: set[int] = set()
    expected_faults = []

    for operation in server.session.spec.operations:
        path, body = _path_and_body(operation, prompt_id)
        for status in sorted(operation.error_statuses):
            headers = {}
            if how == "rule":
                rule = server.fail(operation.operation_id, status=status, times=1)
                expected_faults.append(rule.id)
            else:
                headers["Prefer"] = f"code={status}"
                expected_faults.append("Prefer")
            response = http.request(operation.method, path, json=body, headers=headers)
            label = f"{operation.operation_id} {status}"
            assert response.status_code == status, (label, response.text)
            assert_error(response, status, mentions=operation.operation_id)
            if status == 429:
                assert response.headers["retry-after"] == "1", label
            seen.add(status)

    assert seen == {400, 401, 404, 413, 415, 429, 500, 502, 503, 504, 507}
    assert server.violations() == []
    entries = server.requests()
    assert fault_ids(entries) == expected_faults
    assert all(not entry.response_errors for entry in entries)
    # A `before` rule answers before anything is read or written.
    assert [prompt["id"] for prompt in server.export()["prompts"]] == [prompt_id]


def test_every_status_after_the_handler_passes_response_validation(
    server: MockServer, sdk: SDK
) -> None:
    """`when="after"` answers replace a real success and are checked like any other."""
    prompt_id = sdk.llm.prompts.create(name="target", template="t").id
    for status in (400, 401, 404, 429, 500, 502, 503, 504):
        server.fail("getPrompt", status=status, times=1, when="after")
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.get(id=prompt_id)
        assert_error(caught.value, status, mentions="getPrompt")

    assert server.violations() == []
    assert statuses(server.requests("getPrompt")) == [400, 401, 404, 429, 500, 502, 503, 504]


def test_a_status_the_operation_does_not_declare_is_refused(
    server: MockServer, http: httpx.Client
) -> None:
    with pytest.raises(ApiError) as caught:
        server.fail("listPrompts", status=413)
    assert caught.value.status == 400
    assert [detail.location for detail in caught.value.details] == ["status"]
    assert "listPrompts" in str(caught.value)

    response = http.post("/__mock/faults", json={"operation": "listPrompts", "status": 413})
    assert_error(response, 400, param="status", locations=["body.status"])

    # Every operation: createPrompt has no 404 (listPrompts has one, for an unknown cursor).
    response = http.post("/__mock/faults", json={"status": 404})
    message = assert_error(response, 400)["details"][0]["message"]
    assert message == "404 is not a status createPrompt can answer"
    with pytest.raises(ApiError):
        server.fail(status=404)

    assert server.faults() == []
    assert http.get("/__mock/faults").json() == {"data": []}


@pytest.mark.parametrize(
    ("rule", "location"),
    [
        ({"operation": "noSuchOperation", "status": 503}, "body.operation"),
        ({"operation": "listPrompts", "status": 418}, "body.status"),
        ({"operation": "listPrompts"}, "body"),
        ({"operation": "listPrompts", "status": 503, "drop": True}, "body.status"),
        ({"operation": "listPrompts", "delay_ms": 200, "delay_max_ms": 100}, "body.delay_max_ms"),
        ({"operation": "listPrompts", "status": 503, "probability": 0}, "body.probability"),
        ({"operation": "listPrompts", "status": 503, "times": 0}, "body.times"),
        ({"operation": "listPrompts", "status": 503, "when": "during"}, "body.when"),
        ({"operation": "listPrompts", "delay_ms": 600_001}, "body.delay_ms"),
        ({"operation": "listPrompts", "status": 503, "bogus": 1}, "body"),
    ],
)
def test_invalid_rules_are_refused_by_both_interfaces(
    server: MockServer, http: httpx.Client, rule: dict[str, Any], location: str
) -> None:
    error = assert_error(http.post("/__mock/faults", json=rule), 400)
    locations = [detail["location"] for detail in error["details"]]
    assert any(found.startswith(location) for found in locations), locations

    effects = {key: value for key, value in rule.items() if key != "operation"}
    with pytest.raises(ApiError) as caught:
        server.fail(rule["operation"], **effects)
    assert caught.value.status == 400
    assert server.faults() == []
