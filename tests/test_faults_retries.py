"""Injected errors and delays as the official SDK (``from mka1 import SDK``) meets them: its
retries, its wait for ``Retry-After``, and its timeouts; against the shared real uvicorn.

The SDK's retry loop runs with short backoffs (``FAST_RETRIES``, no jitter) and records the waits
it asks for instead of waiting (``sdk_waits``); the mock's own delays are recorded too
(``sleeps``), and one held there (``sleeps.hold()``) lets the SDK's real timeout fire.

Observed SDK exception type: a timeout is ``httpx.ReadTimeout`` (no SDK wrapper).
"""

from __future__ import annotations

import json

import httpx
import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError

from mka1_mock.server import MockServer
from tests.helpers import (
    FAST_RETRIES,
    FAST_RETRIES_ON_CONNECTION_ERRORS,
    RATE_LIMITED,
    SHORT_RETRIES,
    UNKNOWN_ID,
    Connect,
    FakeSleep,
    SdkWaits,
    assert_error,
    fast_backoff,
    fault_ids,
    statuses,
    wait_for,
)

# --------------------------------------------------------------------------- retried 503s


def test_two_injected_503s_are_retried_and_the_create_succeeds(
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits
) -> None:
    rule = server.fail("createPrompt", status=503, times=2)
    assert rule.id == "fault-1"

    created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}}", retries=FAST_RETRIES)

    calls = server.requests("createPrompt")
    assert statuses(calls) == [503, 503, 201]
    assert fault_ids(calls) == ["fault-1", "fault-1", None]
    for call in calls[:2]:
        error = assert_error(call.response, 503, mentions="createPrompt")
        assert "fault-1" in error["message"]
    assert calls[2].response["id"] == created.id
    # A `before` rule acts before the handler: only the third attempt wrote anything.
    assert [prompt["id"] for prompt in server.export()["prompts"]] == [created.id]
    assert [rule.fired for rule in server.faults()] == [2]
    assert sdk_waits.waits == pytest.approx(fast_backoff(2))


def test_the_sdk_default_retry_config_also_retries_injected_503s(
    server: MockServer, connect: Connect, sdk_waits: SdkWaits
) -> None:
    """``retries`` given once to the SDK (not per call) works the same way."""
    server.fail("listPrompts", status=503, times=1)
    sdk = connect(retries=FAST_RETRIES)

    page = sdk.llm.prompts.list()

    assert page.data == []
    assert statuses(server.requests("listPrompts")) == [503, 200]
    assert sdk_waits.waits == pytest.approx(fast_backoff(1))


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("seconds", [1, 7])
def test_429_retry_after_makes_the_sdk_wait_before_retrying(
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits, seconds: int
) -> None:
    server.fail("listPrompts", status=429, retry_after=seconds, times=1)

    page = sdk.llm.prompts.list(retries=FAST_RETRIES)

    assert page.data == []
    first, second = server.requests("listPrompts")
    assert (first.status, first.fault, first.response) == (429, "fault-1", RATE_LIMITED)
    assert (second.status, second.fault) == (200, None)
    # The backoff alone would retry after 10 ms: the wait is Retry-After's.
    assert sdk_waits.waits == [seconds]


def test_429_carries_retry_after_and_the_gateway_body_to_the_sdk(
    server: MockServer, sdk: SDK
) -> None:
    server.fail("listPrompts", status=429, retry_after=7, times=1)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert_error(caught.value, 429)
    assert caught.value.headers["retry-after"] == "7"
    assert json.loads(caught.value.body) == RATE_LIMITED


# --------------------------------------------------------------------------- persistent 500


def test_persistent_500_surfaces_as_sdk_error_after_the_backoff(
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits
) -> None:
    server.fail("listPrompts", status=500)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(retries=SHORT_RETRIES)

    assert_error(caught.value, 500, mentions="listPrompts")
    calls = server.requests("listPrompts")
    assert len(calls) > 1
    assert set(statuses(calls)) == {500}
    assert set(fault_ids(calls)) == {"fault-1"}
    assert server.faults()[0].fired == len(calls)
    # The backoff between each two attempts, until more than its 300 ms had passed.
    assert sdk_waits.waits == pytest.approx(fast_backoff(len(calls) - 1))
    assert sum(sdk_waits.waits[:-1]) <= 0.3


def test_without_retries_an_injected_5xx_is_a_single_attempt(
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits
) -> None:
    server.fail("listPrompts", status=502)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert_error(caught.value, 502, mentions="listPrompts")
    assert statuses(server.requests()) == [502]
    assert sdk_waits.waits == []


# --------------------------------------------------------------------------- after the handler


def test_after_handler_503_plus_retry_duplicates_the_write(
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits
) -> None:
    server.fail("createPrompt", status=503, times=1, when="after")

    created = sdk.llm.prompts.create(name="greeting", template="Hi", retries=FAST_RETRIES)

    prompts = server.export()["prompts"]
    assert len(prompts) == 2
    assert {prompt["name"] for prompt in prompts} == {"greeting"}
    assert created.id in {prompt["id"] for prompt in prompts}
    first, second = server.requests("createPrompt")
    assert (first.status, first.fault) == (503, "fault-1")
    assert_error(first.response, 503, mentions="createPrompt")
    assert "injected by fault-1" in first.response["error"]["message"]
    assert first.body == {"name": "greeting", "template": "Hi"}
    assert (second.status, second.fault) == (201, None)
    assert second.response["id"] == created.id
    # The lost write is the other prompt, never answered to the client.
    (lost,) = [prompt for prompt in prompts if prompt["id"] != created.id]
    assert lost["versions"][0]["template"] == "Hi"
    assert sdk_waits.waits == pytest.approx(fast_backoff(1))


def test_after_rule_does_not_fire_on_a_failed_request(server: MockServer, sdk: SDK) -> None:
    """`after` acts on a success only: a 404 is left alone and the rule stays unfired."""
    server.fail("getPrompt", status=503, times=1, when="after")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id=UNKNOWN_ID)

    assert_error(caught.value, 404, param="id")
    assert server.faults()[0].fired == 0
    assert fault_ids(server.requests()) == [None]


# --------------------------------------------------------------------------- timeouts


def test_delay_beyond_sdk_timeout_raises_its_timeout_and_the_server_stays_healthy(
    server: MockServer, sdk: SDK, http: httpx.Client, sleeps: FakeSleep
) -> None:
    server.fail("listPrompts", delay_ms=1500, times=1)
    sleeps.hold()  # the delayed answer is pending until the test releases it

    with pytest.raises(httpx.TimeoutException) as caught:
        sdk.llm.prompts.list(timeout_ms=200)
    assert type(caught.value) is httpx.ReadTimeout

    # While the delayed answer is still pending, the server answers everything else.
    health = http.get("/__mock/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    created = sdk.llm.prompts.create(name="after-timeout", template="t")
    assert [prompt.id for prompt in sdk.llm.prompts.list(timeout_ms=5000).data] == [created.id]
    assert sleeps.waits == [1.5]
    assert fault_ids(server.requests("listPrompts")) == [None]

    # The abandoned request finishes on the server and is journaled with its rule.
    sleeps.release()
    wait_for(lambda: len(server.requests("listPrompts")) == 2)
    delayed = [entry for entry in server.requests("listPrompts") if entry.fault == "fault-1"]
    assert len(delayed) == 1
    assert delayed[0].status == 200


def test_timeout_is_retried_with_retry_connection_errors(
    server: MockServer, sdk: SDK, sleeps: FakeSleep, sdk_waits: SdkWaits
) -> None:
    """A delay only on the first attempt: the SDK's retry of its own timeout gets the answer."""
    server.fail("listPrompts", delay_ms=800, times=1)
    sleeps.hold()

    page = sdk.llm.prompts.list(timeout_ms=200, retries=FAST_RETRIES_ON_CONNECTION_ERRORS)

    assert page.data == []
    assert sdk_waits.waits == pytest.approx(fast_backoff(1))
    assert sleeps.waits == [0.8]
    # The abandoned first attempt is journaled when its delay ends.
    sleeps.release()
    wait_for(lambda: "fault-1" in fault_ids(server.requests("listPrompts")))
    calls = server.requests("listPrompts")
    assert fault_ids(calls).count("fault-1") == 1
    assert None in fault_ids(calls)
    assert set(statuses(calls)) == {200}
