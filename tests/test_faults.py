"""Fault injection proven with the official SDK (``from mka1 import SDK``) against a real uvicorn.

One mock per module, reset (store, journal, violations *and* fault rules) before every test. The
SDK's own retry machinery is driven with short backoffs (``jitter_ms=0``: the default jitter adds
up to a second per retry); the only timing assertions are loose lower bounds where the behaviour
under test is a delay (``Retry-After``, ``delay_ms``, ``Prefer: delay``, ``--latency``).

Observed SDK exception types: a timeout is ``httpx.ReadTimeout`` (no SDK wrapper), a dropped
connection is ``httpx.RemoteProtocolError`` (raw httpx too), a malformed body is
``mka1.errors.ResponseValidationError`` (an ``SDKError``, not an ``SDKDefaultError``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mka1 import SDK
from mka1.errors import ResponseValidationError, SDKDefaultError, SDKError
from mka1.utils import BackoffStrategy, RetryConfig

from mka1_mock import ApiError, Settings, StartupError, create_app
from mka1_mock.journal import Entry
from mka1_mock.server import MockServer

TOKEN = "fault-token-a"
OTHER_TOKEN = "fault-token-b"
PROMPTS = "/api/v1/llm/prompts"

NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
# Retries at 10, 15, 22.5, ... ms (capped at 50), for up to 5 s; no jitter.
FAST_RETRIES = RetryConfig("backoff", BackoffStrategy(10, 50, 1.5, 5000, jitter_ms=0), False)
FAST_RETRIES_ON_CONNECTION_ERRORS = RetryConfig(
    "backoff", BackoffStrategy(10, 50, 1.5, 5000, jitter_ms=0), True
)
# Gives up after 300 ms of failures.
SHORT_RETRIES = RetryConfig("backoff", BackoffStrategy(10, 50, 1.5, 300, jitter_ms=0), False)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    413: "request_too_large_error",
    415: "unsupported_media_type_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
}
GATEWAY_429 = {"error": "Rate limit exceeded"}

Connect = Callable[..., SDK]


# --------------------------------------------------------------------------- helpers


def wall(entry: Entry) -> datetime:
    """The journal entry's wall-clock time (ISO 8601, milliseconds, ``Z``)."""
    return datetime.fromisoformat(entry.time.replace("Z", "+00:00"))


def statuses(entries: list[Entry]) -> list[int]:
    return [entry.status for entry in entries]


def fault_ids(entries: list[Entry]) -> list[str | None]:
    return [entry.fault for entry in entries]


def assert_error_body(body: Any, status: int, operation: str | None = None) -> None:
    """The contract's body for an injected ``status``: the gateway's for 429, else ``Error``."""
    if status == 429:
        assert body == GATEWAY_429
        return
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) == {"type", "message", "code", "param", "details"}, error
    assert error["type"] == ERROR_TYPES[status]
    assert error["code"] == status
    assert isinstance(error["message"], str) and error["message"]
    if operation is not None:
        assert operation in error["message"]


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until ``condition()`` holds (for answers the server finishes after the client left)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def prompt_count(server: MockServer) -> int:
    return len(server.export()["prompts"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def module_server() -> Iterator[MockServer]:
    """This module's own uvicorn mock, so that no rule can reach another module's tests."""
    with MockServer() as running:
        yield running


@pytest.fixture
def server(module_server: MockServer) -> Iterator[MockServer]:
    """The module's mock after a full reset; every test ends with no contract violation."""
    module_server.session.reset()
    yield module_server
    assert [violation.as_dict() for violation in module_server.violations()] == []


@pytest.fixture
def connect(server: MockServer) -> Iterator[Connect]:
    """Open SDK clients (no retries unless asked for); all are closed after the test."""
    with ExitStack() as stack:

        def make(
            token: str = TOKEN,
            *,
            url: str | None = None,
            retries: RetryConfig = NO_RETRIES,
            timeout_ms: int | None = None,
        ) -> SDK:
            sdk = SDK(
                bearer_auth=token,
                server_url=url or server.url,
                retry_config=retries,
                timeout_ms=timeout_ms,
            )
            return stack.enter_context(sdk)

        yield make


@pytest.fixture
def sdk(connect: Connect) -> SDK:
    return connect()


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A raw HTTP client with the token, for what the SDK hides (headers, broken bodies)."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


# --------------------------------------------------------------------------- 1. retried 503s


def test_two_injected_503s_are_retried_and_the_create_succeeds(
    server: MockServer, sdk: SDK
) -> None:
    rule = server.fail("createPrompt", status=503, times=2)
    assert rule.id == "fault-1"

    created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}}", retries=FAST_RETRIES)

    calls = server.requests("createPrompt")
    assert statuses(calls) == [503, 503, 201]
    assert fault_ids(calls) == ["fault-1", "fault-1", None]
    for call in calls[:2]:
        assert_error_body(call.response, 503, "createPrompt")
        assert "fault-1" in call.response["error"]["message"]
    assert calls[2].response["id"] == created.id
    # A `before` rule acts before the handler: only the third attempt wrote anything.
    assert [prompt["id"] for prompt in server.export()["prompts"]] == [created.id]
    assert [rule.fired for rule in server.faults()] == [2]


def test_the_sdk_default_retry_config_also_retries_injected_503s(
    server: MockServer, connect: Connect
) -> None:
    """``retries`` given once to the SDK (not per call) works the same way."""
    server.fail("listPrompts", status=503, times=1)
    sdk = connect(retries=FAST_RETRIES)

    page = sdk.llm.prompts.list()

    assert page.data == []
    assert statuses(server.requests("listPrompts")) == [503, 200]


# --------------------------------------------------------------------------- 2. Retry-After


def test_429_retry_after_makes_the_sdk_wait_before_retrying(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=429, retry_after=1, times=1)

    started = time.monotonic()
    page = sdk.llm.prompts.list(retries=FAST_RETRIES)
    elapsed = time.monotonic() - started

    assert page.data == []
    first, second = server.requests("listPrompts")
    assert (first.status, first.fault, first.response) == (429, "fault-1", GATEWAY_429)
    assert (second.status, second.fault) == (200, None)
    # The backoff alone would retry after 10 ms: the wait is Retry-After's second.
    assert (wall(second) - wall(first)).total_seconds() >= 0.9
    assert elapsed >= 0.9


def test_429_carries_retry_after_and_the_gateway_body_to_the_sdk(
    server: MockServer, sdk: SDK
) -> None:
    server.fail("listPrompts", status=429, retry_after=7, times=1)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert caught.value.status_code == 429
    assert caught.value.headers["retry-after"] == "7"
    assert json.loads(caught.value.body) == GATEWAY_429


# --------------------------------------------------------------------------- 3. persistent 500


def test_persistent_500_surfaces_as_sdk_error_after_the_backoff(
    server: MockServer, sdk: SDK
) -> None:
    server.fail("listPrompts", status=500)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(retries=SHORT_RETRIES)

    assert caught.value.status_code == 500
    body = json.loads(caught.value.body)
    assert_error_body(body, 500, "listPrompts")
    calls = server.requests("listPrompts")
    assert len(calls) > 1
    assert set(statuses(calls)) == {500}
    assert set(fault_ids(calls)) == {"fault-1"}
    assert server.faults()[0].fired == len(calls)


def test_without_retries_an_injected_5xx_is_a_single_attempt(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=502)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert caught.value.status_code == 502
    assert_error_body(json.loads(caught.value.body), 502, "listPrompts")
    assert statuses(server.requests()) == [502]


# --------------------------------------------------------------------------- 4. after-handler


def test_after_handler_503_plus_retry_duplicates_the_write(server: MockServer, sdk: SDK) -> None:
    server.fail("createPrompt", status=503, times=1, when="after")

    created = sdk.llm.prompts.create(name="greeting", template="Hi", retries=FAST_RETRIES)

    prompts = server.export()["prompts"]
    assert len(prompts) == 2
    assert {prompt["name"] for prompt in prompts} == {"greeting"}
    assert created.id in {prompt["id"] for prompt in prompts}
    first, second = server.requests("createPrompt")
    assert (first.status, first.fault) == (503, "fault-1")
    assert_error_body(first.response, 503, "createPrompt")
    assert "injected by fault-1" in first.response["error"]["message"]
    assert first.body == {"name": "greeting", "template": "Hi"}
    assert (second.status, second.fault) == (201, None)
    assert second.response["id"] == created.id
    # The lost write is the other prompt, never answered to the client.
    (lost,) = [prompt for prompt in prompts if prompt["id"] != created.id]
    assert lost["versions"][0]["template"] == "Hi"


def test_after_rule_does_not_fire_on_a_failed_request(server: MockServer, sdk: SDK) -> None:
    """`after` acts on a success only: a 404 is left alone and the rule stays unfired."""
    server.fail("getPrompt", status=503, times=1, when="after")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id="prompt_" + "0" * 32)

    assert caught.value.status_code == 404
    assert server.faults()[0].fired == 0
    assert fault_ids(server.requests()) == [None]


# --------------------------------------------------------------------------- 5. timeout


def test_delay_beyond_sdk_timeout_raises_its_timeout_and_the_server_stays_healthy(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    server.fail("listPrompts", delay_ms=1500, times=1)

    with pytest.raises(httpx.TimeoutException) as caught:
        sdk.llm.prompts.list(timeout_ms=200)
    assert type(caught.value) is httpx.ReadTimeout

    # While the delayed answer is still pending, the server answers everything else.
    health = http.get("/__mock/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    created = sdk.llm.prompts.create(name="after-timeout", template="t")
    assert [prompt.id for prompt in sdk.llm.prompts.list(timeout_ms=5000).data] == [created.id]

    # The abandoned request finishes on the server and is journaled with its rule.
    wait_for(lambda: len(server.requests("listPrompts")) == 2)
    delayed = [entry for entry in server.requests("listPrompts") if entry.fault == "fault-1"]
    assert len(delayed) == 1
    assert delayed[0].status == 200
    assert delayed[0].duration_ms >= 1400


def test_timeout_is_retried_with_retry_connection_errors(server: MockServer, sdk: SDK) -> None:
    """A delay only on the first attempt: the SDK's retry of its own timeout gets the answer."""
    server.fail("listPrompts", delay_ms=800, times=1)

    page = sdk.llm.prompts.list(timeout_ms=200, retries=FAST_RETRIES_ON_CONNECTION_ERRORS)

    assert page.data == []
    # The abandoned first attempt is journaled when its delay ends.
    wait_for(lambda: "fault-1" in fault_ids(server.requests("listPrompts")))
    calls = server.requests("listPrompts")
    assert fault_ids(calls).count("fault-1") == 1
    assert None in fault_ids(calls)
    assert set(statuses(calls)) == {200}


# --------------------------------------------------------------------------- 6. Prefer


def test_prefer_code_503_is_a_spec_valid_server_error(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=503"})

    assert caught.value.status_code == 503
    body = json.loads(caught.value.body)
    assert_error_body(body, 503, "listPrompts")
    assert body["error"]["type"] == "server_error"
    assert body["error"]["code"] == 503
    (entry,) = server.requests()
    assert (entry.status, entry.fault) == (503, "Prefer")
    assert entry.headers["prefer"] == "code=503"
    assert server.violations() == []


def test_prefer_code_429_is_the_gateway_body_with_retry_after(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=429"})

    assert caught.value.status_code == 429
    assert json.loads(caught.value.body) == GATEWAY_429
    assert int(caught.value.headers["retry-after"]) >= 0
    assert fault_ids(server.requests()) == ["Prefer"]


def test_prefer_undeclared_code_is_a_400_naming_prefer(server: MockServer, sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": "code=418"})

    assert caught.value.status_code == 400
    error = json.loads(caught.value.body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "Prefer"
    assert [detail["location"] for detail in error["details"]] == ["header.Prefer"]
    assert "418" in error["details"][0]["message"]
    (entry,) = server.requests()
    assert entry.status == 400
    assert [detail.location for detail in entry.request_errors] == ["header.Prefer"]


@pytest.mark.parametrize("prefer", ["code=abc", "delay=soon", "delay=-5", "delay=600001"])
def test_prefer_with_bad_values_is_a_400(sdk: SDK, prefer: str) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(http_headers={"Prefer": prefer})

    assert caught.value.status_code == 400
    assert json.loads(caught.value.body)["error"]["param"] == "Prefer"


def test_prefer_delay_delays_a_normal_answer(server: MockServer, sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="p", template="t")

    started = time.monotonic()
    page = sdk.llm.prompts.list(http_headers={"Prefer": "delay=200"})
    elapsed = time.monotonic() - started

    assert [prompt.id for prompt in page.data] == [created.id]
    assert elapsed >= 0.19
    entry = server.requests("listPrompts")[-1]
    assert (entry.status, entry.fault) == (200, "Prefer")
    assert entry.duration_ms >= 190


def test_prefer_success_code_is_a_normal_answer(server: MockServer, sdk: SDK) -> None:
    page = sdk.llm.prompts.list(http_headers={"Prefer": "code=200"})

    assert page.data == []
    assert fault_ids(server.requests()) == [None]


def test_prefer_comes_after_authentication(server: MockServer, http: httpx.Client) -> None:
    response = http.get(PROMPTS, headers={"Authorization": "", "Prefer": "code=503"})

    assert response.status_code == 401
    assert_error_body(response.json(), 401)
    assert fault_ids(server.requests()) == [None]


def test_prefer_is_ignored_by_the_admin_api(http: httpx.Client) -> None:
    response = http.get("/__mock/health", headers={"Prefer": "code=503"})

    assert response.status_code == 200


# --------------------------------------------------------------------------- 7. validation


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
            assert response.headers["content-type"] == "application/json", label
            assert_error_body(response.json(), status, operation.operation_id)
            if status == 429:
                assert response.headers["retry-after"] == "1", label
            seen.add(status)

    assert seen == {400, 401, 404, 413, 415, 429, 500, 502, 503, 504}
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
        assert caught.value.status_code == status
        assert_error_body(json.loads(caught.value.body), status, "getPrompt")

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
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "status"
    assert [detail["location"] for detail in error["details"]] == ["body.status"]

    # Every operation: createPrompt has no 404 (listPrompts has one, for an unknown cursor).
    response = http.post("/__mock/faults", json={"status": 404})
    assert response.status_code == 400
    message = response.json()["error"]["details"][0]["message"]
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
    response = http.post("/__mock/faults", json=rule)
    assert response.status_code == 400, response.text
    locations = [detail["location"] for detail in response.json()["error"]["details"]]
    assert any(found.startswith(location) for found in locations), locations

    effects = {key: value for key, value in rule.items() if key != "operation"}
    with pytest.raises(ApiError) as caught:
        server.fail(rule["operation"], **effects)
    assert caught.value.status == 400
    assert server.faults() == []


# --------------------------------------------------------------------------- 8. no leaks


def test_a_rule_left_behind_by_a_test(server: MockServer, sdk: SDK) -> None:
    """Leaves an every-operation 503 rule active; the next test proves the reset removed it."""
    server.fail(status=503)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()
    assert caught.value.status_code == 503


def test_the_next_test_starts_without_that_rule(server: MockServer, sdk: SDK) -> None:
    assert server.faults() == []
    assert server.requests() == []

    assert sdk.llm.prompts.list().data == []
    assert fault_ids(server.requests()) == [None]


def test_reset_in_the_middle_of_a_test_clears_rules_and_numbering(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    server.fail("listPrompts", status=503)
    server.fail("createPrompt", status=500, when="after")
    assert [rule.id for rule in server.faults()] == ["fault-1", "fault-2"]

    server.session.reset()

    assert server.faults() == []
    assert sdk.llm.prompts.list().data == []
    sdk.llm.prompts.create(name="p", template="t")
    assert statuses(server.requests()) == [200, 201]
    assert server.fail("listPrompts", status=503).id == "fault-1"

    # The admin reset clears them too.
    assert http.post("/__mock/reset").status_code == 200
    assert server.faults() == []
    assert sdk.llm.prompts.list().data == []


def test_clear_faults_keeps_the_journal(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=503)
    with pytest.raises(SDKDefaultError):
        sdk.llm.prompts.list()

    server.clear_faults()

    assert sdk.llm.prompts.list().data == []
    assert statuses(server.requests()) == [503, 200]


# --------------------------------------------------------------------------- 9. drop


def test_drop_cuts_the_connection_with_no_answer(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    server.fail("getPrompt", drop=True, times=1)

    with pytest.raises(httpx.TransportError):
        http.get(f"{PROMPTS}/{prompt_id}")
    # The next request gets a normal answer (on a new connection).
    assert http.get(f"{PROMPTS}/{prompt_id}").status_code == 200

    dropped, answered = server.requests("getPrompt")
    assert (dropped.status, dropped.fault, dropped.response) == (0, "fault-1", None)
    assert (answered.status, answered.fault) == (200, None)


def test_drop_is_a_transport_error_in_the_sdk(server: MockServer, sdk: SDK) -> None:
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    server.fail("getPrompt", drop=True, times=1)

    with pytest.raises(httpx.TransportError) as caught:
        sdk.llm.prompts.get(id=prompt_id)
    assert not isinstance(caught.value, SDKError)

    assert sdk.llm.prompts.get(id=prompt_id).id == prompt_id
    assert statuses(server.requests("getPrompt")) == [0, 200]


def test_drop_is_retried_by_the_sdk_with_retry_connection_errors(
    server: MockServer, sdk: SDK
) -> None:
    """README: drop is "the SDK's connection error", which `retry_connection_errors` retries."""
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    server.fail("getPrompt", drop=True, times=1)

    fetched = sdk.llm.prompts.get(id=prompt_id, retries=FAST_RETRIES_ON_CONNECTION_ERRORS)

    assert fetched.id == prompt_id
    calls = server.requests("getPrompt")
    assert statuses(calls) == [0, 200]
    assert fault_ids(calls) == ["fault-1", None]


def test_drop_after_the_handler_keeps_the_write(server: MockServer, sdk: SDK) -> None:
    server.fail("createPrompt", drop=True, times=1, when="after")

    with pytest.raises(httpx.TransportError):
        sdk.llm.prompts.create(name="lost answer", template="t")

    assert prompt_count(server) == 1
    (entry,) = server.requests("createPrompt")
    assert (entry.status, entry.fault, entry.response) == (0, "fault-1", None)
    assert entry.body == {"name": "lost answer", "template": "t"}


# --------------------------------------------------------------------------- 10. malformed


def test_malformed_is_a_200_with_a_broken_body_and_the_sdk_raises(
    server: MockServer, sdk: SDK
) -> None:
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    server.fail("getPrompt", malformed=True, times=1)

    with pytest.raises(ResponseValidationError) as caught:
        sdk.llm.prompts.get(id=prompt_id)

    error = caught.value
    assert not isinstance(error, SDKDefaultError)
    assert error.status_code == 200
    assert error.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(error.body)
    (entry,) = server.requests("getPrompt")
    assert (entry.status, entry.fault) == (200, "fault-1")
    assert isinstance(entry.response, str) and entry.response == error.body
    assert entry.response_errors == ()
    assert server.violations() == []


def test_malformed_after_the_handler_is_the_real_answer_cut_in_half(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    whole = http.get(f"{PROMPTS}/{prompt_id}").content
    server.fail("getPrompt", malformed=True, times=1, when="after")

    cut = http.get(f"{PROMPTS}/{prompt_id}")

    assert cut.status_code == 200
    assert cut.content == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert server.violations() == []


# --------------------------------------------------------------------------- 11. matching


def test_rules_match_on_token(server: MockServer, connect: Connect) -> None:
    server.fail("listPrompts", token=OTHER_TOKEN, status=503)
    mine, other = connect(TOKEN), connect(OTHER_TOKEN)

    assert mine.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError) as caught:
        other.llm.prompts.list()
    assert caught.value.status_code == 503

    assert statuses(server.requests()) == [200, 503]
    assert fault_ids(server.requests()) == [None, "fault-1"]


def test_rules_match_on_x_on_behalf_of(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", on_behalf_of="user-1", status=503)

    assert sdk.llm.prompts.list().data == []
    assert sdk.llm.prompts.list(x_on_behalf_of="user-2").data == []
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(x_on_behalf_of="user-1")
    assert caught.value.status_code == 503

    assert statuses(server.requests()) == [200, 200, 503]


def test_token_and_on_behalf_of_must_both_match(server: MockServer, connect: Connect) -> None:
    server.fail("listPrompts", token=TOKEN, on_behalf_of="user-1", status=503)
    mine, other = connect(TOKEN), connect(OTHER_TOKEN)

    assert other.llm.prompts.list(x_on_behalf_of="user-1").data == []
    assert mine.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError):
        mine.llm.prompts.list(x_on_behalf_of="user-1")

    assert statuses(server.requests()) == [200, 200, 503]


def test_first_matching_rule_wins_and_times_run_out(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=502, times=1)
    server.fail(status=504, times=1)  # every operation
    server.fail("createPrompt", status=500, times=1)

    for expected in (502, 504):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.list()
        assert caught.value.status_code == expected
    assert sdk.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.create(name="p", template="t")
    assert caught.value.status_code == 500
    sdk.llm.prompts.create(name="p", template="t")

    assert fault_ids(server.requests()) == ["fault-1", "fault-2", None, "fault-3", None]
    assert [rule.fired for rule in server.faults()] == [1, 1, 1]


def _probability_pattern(seed: int) -> list[int]:
    with MockServer(Settings(port=0, seed=seed)) as fresh:
        fresh.fail("listPrompts", status=503, probability=0.5)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=fresh.url, headers=headers) as client:
            return [client.get(PROMPTS).status_code for _ in range(24)]


def test_probability_with_a_seed_fires_the_same_pattern_in_two_servers() -> None:
    first = _probability_pattern(seed=1234)
    second = _probability_pattern(seed=1234)

    assert first == second
    assert set(first) == {200, 503}  # a real coin, not always or never


def test_probability_pattern_repeats_after_a_reset_with_the_seed(server: MockServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    patterns = []
    with httpx.Client(base_url=server.url, headers=headers) as client:
        for _ in range(2):
            server.reset(seed=99)
            server.fail("listPrompts", status=503, probability=0.5)
            patterns.append([client.get(PROMPTS).status_code for _ in range(24)])

    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 503}


def test_delay_range_is_respected(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", delay_ms=100, delay_max_ms=150, times=3)

    for _ in range(3):
        started = time.monotonic()
        assert sdk.llm.prompts.list().data == []
        assert time.monotonic() - started >= 0.09

    calls = server.requests("listPrompts")
    assert fault_ids(calls) == ["fault-1"] * 3
    assert all(call.duration_ms >= 95 for call in calls)


def test_a_delay_with_a_status_delays_the_error(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=503, delay_ms=150, times=1)

    started = time.monotonic()
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert time.monotonic() - started >= 0.14
    assert caught.value.status_code == 503


# --------------------------------------------------------------------------- 12. admin, files


def test_admin_api_adds_lists_with_fired_counts_and_clears(
    server: MockServer, http: httpx.Client, sdk: SDK
) -> None:
    added = http.post(
        "/__mock/faults",
        json={"operation": "listPrompts", "status": 503, "times": 2, "id": "mine", "fired": 9},
    )
    assert added.status_code == 201
    rule = added.json()
    assert rule["id"] == "fault-1"  # a sent id and fired count are ignored
    assert rule["fired"] == 0
    assert (rule["operation"], rule["status"], rule["times"]) == ("listPrompts", 503, 2)
    assert rule["when"] == "before"
    second = http.post("/__mock/faults", json={"operation": "createPrompt", "delay_ms": 10})
    assert second.status_code == 201
    assert second.json()["id"] == "fault-2"

    for _ in range(2):
        with pytest.raises(SDKDefaultError):
            sdk.llm.prompts.list()
    assert sdk.llm.prompts.list().data == []

    listed = http.get("/__mock/faults")
    assert listed.status_code == 200
    assert [(item["id"], item["fired"]) for item in listed.json()["data"]] == [
        ("fault-1", 2),
        ("fault-2", 0),
    ]
    assert [(rule.id, rule.fired) for rule in server.faults()] == [("fault-1", 2), ("fault-2", 0)]

    cleared = http.delete("/__mock/faults")
    assert cleared.status_code == 200
    assert cleared.json() == {"status": "ok"}
    assert http.get("/__mock/faults").json() == {"data": []}
    assert server.faults() == []


def test_admin_journal_shows_the_fault(server: MockServer, http: httpx.Client, sdk: SDK) -> None:
    server.fail("listPrompts", status=504, times=1)
    with pytest.raises(SDKDefaultError):
        sdk.llm.prompts.list()

    data = http.get("/__mock/requests", params={"operation": "listPrompts"}).json()["data"]

    assert [(entry["status"], entry["fault"]) for entry in data] == [(504, "fault-1")]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fault_file_is_active_at_start_and_after_every_reset(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "faults.yaml",
        "faults:\n  - {operation: listPrompts, status: 503, times: 1}\n",
    )
    with (
        MockServer(Settings(port=0, fault_files=(path,))) as fresh,
        SDK(bearer_auth=TOKEN, server_url=fresh.url, retry_config=NO_RETRIES) as sdk,
        httpx.Client(base_url=fresh.url) as admin,
    ):

        def fires_once() -> None:
            with pytest.raises(SDKDefaultError) as caught:
                sdk.llm.prompts.list()
            assert caught.value.status_code == 503
            assert sdk.llm.prompts.list().data == []
            assert fault_ids(fresh.requests()) == ["fault-1", None]

        assert [(rule.id, rule.fired) for rule in fresh.faults()] == [("fault-1", 0)]
        fires_once()
        fresh.fail("createPrompt", status=500)

        fresh.reset()
        assert [(rule.id, rule.fired) for rule in fresh.faults()] == [("fault-1", 0)]
        fires_once()

        assert admin.post("/__mock/reset").status_code == 200
        listed = admin.get("/__mock/faults").json()["data"]
        assert [(rule["id"], rule["fired"]) for rule in listed] == [("fault-1", 0)]
        fires_once()
        assert fresh.violations() == []


def test_json_fault_file_works_too(tmp_path: Path) -> None:
    rules = {"faults": [{"operation": "getPrompt", "status": 404}, {"drop": True, "times": 1}]}
    path = _write(tmp_path, "faults.json", json.dumps(rules))

    app = create_app(Settings(fault_files=(path,)))

    faults = list(app.state.session.faults)
    assert [(rule.id, rule.operation, rule.status, rule.drop) for rule in faults] == [
        ("fault-1", "getPrompt", 404, False),
        ("fault-2", None, None, True),
    ]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("undeclared.yaml", "faults: [{operation: listPrompts, status: 413}]", "faults[0].status"),
        ("schema.yaml", "faults: [{status: 503}, {drop: 'yes'}]", "faults[1].drop"),
        ("nothing.yaml", "faults: [{operation: listPrompts}]", "faults[0]"),
        ("unknown.yaml", "faults: [{operation: nope, status: 503}]", "faults[0].operation"),
        ("root.yaml", "rules: []", "faults"),
        ("broken.json", "{", "not valid JSON"),
    ],
)
def test_bad_fault_file_stops_start_up_naming_file_and_path(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = _write(tmp_path, name, text)

    with pytest.raises(StartupError) as caught:
        MockServer(Settings(port=0, fault_files=(path,)))

    message = str(caught.value)
    assert str(path) in message
    assert where in message


def test_missing_fault_file_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(StartupError, match=r"absent\.yaml"):
        create_app(Settings(fault_files=(path,)))


def test_latency_delays_every_api_answer_but_not_health() -> None:
    with (
        MockServer(Settings(port=0, latency_ms=(100, 100))) as slow,
        SDK(bearer_auth=TOKEN, server_url=slow.url, retry_config=NO_RETRIES) as sdk,
        httpx.Client(base_url=slow.url) as admin,
    ):
        for call in (
            lambda: sdk.llm.prompts.create(name="p", template="t"),
            lambda: sdk.llm.prompts.list(),
        ):
            started = time.monotonic()
            call()
            assert time.monotonic() - started >= 0.09
        with pytest.raises(SDKDefaultError):
            sdk.llm.prompts.get(id="prompt_" + "0" * 32)
        assert all(entry.duration_ms >= 95 for entry in slow.requests())
        assert statuses(slow.requests()) == [201, 200, 404]

        # Twenty health checks take less than one latency each, by far: health is not delayed.
        started = time.monotonic()
        for _ in range(20):
            assert admin.get("/__mock/health").status_code == 200
        assert time.monotonic() - started < 20 * 0.1
        assert slow.violations() == []


def test_latency_also_delays_injected_and_rejected_answers() -> None:
    """`--latency`: "Delay every API answer" -- an injected 503 or a 401 is an API answer too."""
    with (
        MockServer(Settings(port=0, latency_ms=(150, 150))) as slow,
        httpx.Client(base_url=slow.url) as client,
    ):
        slow.fail("listPrompts", status=503, times=1)
        undelayed = []
        for headers, expected in (
            ({"Authorization": f"Bearer {TOKEN}"}, 503),
            ({"Authorization": f"Bearer {TOKEN}", "Prefer": "code=502"}, 502),
            ({}, 401),
        ):
            started = time.monotonic()
            response = client.get(PROMPTS, headers=headers)
            assert response.status_code == expected
            if time.monotonic() - started < 0.14:
                undelayed.append(expected)
        assert undelayed == [], "answered without the configured latency"


def test_concurrent_requests_are_not_serialised_by_a_delay(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    """A delayed request sleeps without holding the server: a second one overtakes it."""
    server.fail("listPrompts", delay_ms=600, times=1)
    done: list[int] = []

    def slow_call() -> None:
        with httpx.Client(base_url=server.url) as client:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            done.append(client.get(PROMPTS, headers=auth).status_code)

    thread = threading.Thread(target=slow_call)
    thread.start()
    wait_for(lambda: server.faults()[0].fired == 1)
    assert http.get(PROMPTS).status_code == 200
    thread.join(10)

    assert done == [200]
    assert fault_ids(server.requests("listPrompts")) == [None, "fault-1"]
