"""What each fault effect does, over a real uvicorn: a dropped connection, a malformed body, and
delays (a rule's, a range, ``--latency``).

The shared mock records the delays it is asked for instead of waiting them (``sleeps``); one test
waits for real, on a mock of its own, so that the real path stays proven.

Observed SDK exception types: a dropped connection is ``httpx.RemoteProtocolError`` (raw httpx),
a malformed body is ``mka1.errors.ResponseValidationError`` (an ``SDKError``, not an
``SDKDefaultError``).
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from mka1 import SDK
from mka1.errors import ResponseValidationError, SDKDefaultError, SDKError

from mka1_mock import Settings
from mka1_mock.server import MockServer
from tests.helpers import (
    AUTH,
    FAST_RETRIES_ON_CONNECTION_ERRORS,
    NO_RETRIES,
    PROMPTS,
    TOKEN,
    UNKNOWN_ID,
    FakeSleep,
    SdkWaits,
    assert_clean,
    assert_error,
    fast_backoff,
    fault_ids,
    statuses,
    wait_for,
)

# --------------------------------------------------------------------------- drop


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
    server: MockServer, sdk: SDK, sdk_waits: SdkWaits
) -> None:
    """README: drop is "the SDK's connection error", which `retry_connection_errors` retries."""
    prompt_id = sdk.llm.prompts.create(name="p", template="t").id
    server.fail("getPrompt", drop=True, times=1)

    fetched = sdk.llm.prompts.get(id=prompt_id, retries=FAST_RETRIES_ON_CONNECTION_ERRORS)

    assert fetched.id == prompt_id
    calls = server.requests("getPrompt")
    assert statuses(calls) == [0, 200]
    assert fault_ids(calls) == ["fault-1", None]
    assert sdk_waits.waits == pytest.approx(fast_backoff(1))


def test_drop_after_the_handler_keeps_the_write(server: MockServer, sdk: SDK) -> None:
    server.fail("createPrompt", drop=True, times=1, when="after")

    with pytest.raises(httpx.TransportError):
        sdk.llm.prompts.create(name="lost answer", template="t")

    assert len(server.export()["prompts"]) == 1
    (entry,) = server.requests("createPrompt")
    assert (entry.status, entry.fault, entry.response) == (0, "fault-1", None)
    assert entry.body == {"name": "lost answer", "template": "t"}


# --------------------------------------------------------------------------- malformed


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


# --------------------------------------------------------------------------- delays


def test_a_delay_really_waits_on_the_wall_clock() -> None:
    """The one test that waits for real: with the real sleep (not ``sleeps``), a delay rule
    holds the answer for its time, and the journal's duration shows it."""
    with MockServer() as real, httpx.Client(base_url=real.url, headers=AUTH) as client:
        real.fail("listPrompts", delay_ms=200, times=1)

        started = time.monotonic()
        delayed = client.get(PROMPTS)
        elapsed = time.monotonic() - started
        undelayed = client.get(PROMPTS)

        assert (delayed.status_code, undelayed.status_code) == (200, 200)
        assert 0.19 <= elapsed < 10
        first, second = real.requests("listPrompts")
        assert (first.fault, second.fault) == ("fault-1", None)
        assert first.duration_ms >= 190
        assert_clean(real.session)


def test_delay_range_is_respected(server: MockServer, sdk: SDK, sleeps: FakeSleep) -> None:
    server.fail("listPrompts", delay_ms=100, delay_max_ms=150, times=3)

    for _ in range(4):
        assert sdk.llm.prompts.list().data == []

    assert fault_ids(server.requests("listPrompts")) == ["fault-1"] * 3 + [None]
    assert len(sleeps.waits) == 3
    assert all(0.1 <= wait <= 0.15 for wait in sleeps.waits), sleeps.waits
    assert len(set(sleeps.waits)) == 3  # drawn from the range, not one fixed delay


def test_a_delay_with_a_status_delays_the_error(
    server: MockServer, sdk: SDK, sleeps: FakeSleep
) -> None:
    server.fail("listPrompts", status=503, delay_ms=150, times=1)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()

    assert_error(caught.value, 503, mentions="listPrompts")
    assert sleeps.waits == [0.15]


def test_concurrent_requests_are_not_serialised_by_a_delay(
    server: MockServer, http: httpx.Client, sleeps: FakeSleep
) -> None:
    """A delayed request waits without holding the server: a second one overtakes it."""
    server.fail("listPrompts", delay_ms=600, times=1)
    sleeps.hold()
    done: list[int] = []

    def slow_call() -> None:
        with httpx.Client(base_url=server.url) as client:
            done.append(client.get(PROMPTS, headers=AUTH).status_code)

    thread = threading.Thread(target=slow_call)
    thread.start()
    wait_for(lambda: server.faults()[0].fired == 1)
    assert http.get(PROMPTS).status_code == 200
    assert done == []  # the first request is still waiting
    sleeps.release()
    thread.join(10)

    assert done == [200]
    assert fault_ids(server.requests("listPrompts")) == [None, "fault-1"]
    assert sleeps.waits == [0.6]


def test_latency_delays_every_api_answer_but_not_health() -> None:
    sleeps = FakeSleep()
    with (
        MockServer(Settings(port=0, latency_ms=(100, 100)), sleep=sleeps) as slow,
        SDK(bearer_auth=TOKEN, server_url=slow.url, retry_config=NO_RETRIES) as sdk,
        httpx.Client(base_url=slow.url) as admin,
    ):
        sdk.llm.prompts.create(name="p", template="t")
        sdk.llm.prompts.list()
        with pytest.raises(SDKDefaultError):
            sdk.llm.prompts.get(id=UNKNOWN_ID)
        assert statuses(slow.requests()) == [201, 200, 404]
        assert sleeps.waits == [0.1, 0.1, 0.1]

        for _ in range(20):
            assert admin.get("/__mock/health").status_code == 200
        assert sleeps.waits == [0.1, 0.1, 0.1]  # health is not delayed
        assert slow.violations() == []


def test_latency_also_delays_injected_and_rejected_answers() -> None:
    """`--latency`: "Delay every API answer" -- an injected 503 or a 401 is an API answer too."""
    sleeps = FakeSleep()
    with (
        MockServer(Settings(port=0, latency_ms=(150, 150)), sleep=sleeps) as slow,
        httpx.Client(base_url=slow.url) as client,
    ):
        slow.fail("listPrompts", status=503, times=1)
        answered = []
        for headers in (AUTH, AUTH | {"Prefer": "code=502"}, {}):
            answered.append(client.get(PROMPTS, headers=headers).status_code)
            assert len(sleeps.waits) == len(answered), "answered without the configured latency"

        assert answered == [503, 502, 401]
        assert sleeps.waits == [0.15, 0.15, 0.15]
