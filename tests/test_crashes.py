"""An exception inside the mock is a crash: answered with the contract's 500, recorded with its
traceback, readable through the admin API and MockServer, and it fails the test that caused it."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from mka1_mock import create_app
from mka1_mock.handlers.prompts import HANDLERS
from mka1_mock.server import MockServer
from tests.helpers import AUTH, PROMPTS, assert_error, crashes, create_prompt


def test_a_crash_answers_the_contracts_500_and_is_recorded_with_its_traceback() -> None:
    app = create_app(handlers=HANDLERS | {"listPrompts": crashes})
    session = app.state.session
    with TestClient(app, headers=AUTH) as client:
        error = assert_error(client.get(PROMPTS), 500)
        assert error["message"] == "listPrompts failed inside the mock: RuntimeError('boom')"

        [crash] = session.crashes
        assert (crash.method, crash.path, crash.operation_id) == ("GET", PROMPTS, "listPrompts")
        assert crash.error == "RuntimeError('boom')"
        assert crash.traceback.startswith("Traceback (most recent call last):")
        assert crash.traceback.rstrip().endswith("RuntimeError: boom")
        assert 'in crashes\n    raise RuntimeError("boom")' in crash.traceback

        [entry] = session.requests()
        assert (entry.status, entry.crash) == (500, "RuntimeError('boom')")
        assert entry.request_errors == () and entry.response_errors == ()
        assert list(session.violations) == []  # a crash is not a contract violation

        listed = client.get("/__mock/crashes").json()["data"]
        assert listed == [crash.as_dict()]
        assert client.get("/__mock/requests").json()["data"][0]["crash"] == "RuntimeError('boom')"

        client.post("/__mock/reset")
        assert client.get("/__mock/crashes").json() == {"data": []}


def test_an_answer_without_a_crash_has_none() -> None:
    app = create_app()
    with TestClient(app, headers=AUTH) as client:
        create_prompt(client)
        assert client.get("/__mock/requests").json()["data"][0]["crash"] is None
    assert list(app.state.session.crashes) == []


def test_mock_server_lists_its_crashes() -> None:
    with MockServer(handlers=HANDLERS | {"getPrompt": crashes}) as server:
        response = httpx.get(f"{server.url}{PROMPTS}/prompt_{'0' * 32}", headers=AUTH)
        assert response.status_code == 500
        [crash] = server.crashes()
        assert crash.operation_id == "getPrompt"
        assert "RuntimeError: boom" in crash.traceback


CONFTEST = """
import pytest
from mka1_mock.handlers.prompts import HANDLERS, create_prompt
from mka1_mock.server import MockServer

calls = []


def crashes_once(session, call):
    calls.append(call)
    if len(calls) == 1:
        raise RuntimeError("boom, once")
    return create_prompt(session, call)


@pytest.fixture(scope="session")
def mka1_mock_server():
    with MockServer(handlers=HANDLERS | {"createPrompt": crashes_once}) as server:
        yield server
"""

TEST = """
from mka1 import SDK
from mka1.utils import BackoffStrategy, RetryConfig

RETRIES = RetryConfig("backoff", BackoffStrategy(10, 50, 1.5, 5000), False)


def test_create_survives_a_500(mka1_mock):
    sdk = SDK(bearer_auth="k", server_url=mka1_mock.url, retry_config=RETRIES)
    prompt = sdk.llm.prompts.create(name="greeting", template="Hi {{name}}")
    assert prompt.name == "greeting"  # the SDK retried the 500 and passed
    assert [call.status for call in mka1_mock.requests()] == [500, 201]


def test_the_next_test_is_clean(mka1_mock):
    assert mka1_mock.crashes() == []
"""


def test_plugin_fails_the_test_whose_request_crashed_the_mock_even_after_a_retry(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_retry=TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_create_survives_a_500 _*",
            "*mka1-mock crashed 1 time(s) (each answered a 500):*",
            "*POST /api/v1/llm/prompts (createPrompt) crashed: RuntimeError('boom, once')*",
            "*Traceback (most recent call last):*",
            "*RuntimeError: boom, once*",
        ]
    )
