"""``--max-prompts``: the prompts one mock holds in total, across its sessions.

Past it, createPrompt (and a state import) is the documented 507 ``insufficient_storage_error``
naming the option, and nothing is written; everything that adds no prompt keeps working.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import yaml
from mka1 import SDK
from mka1.errors import SDKDefaultError
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from mka1_mock.server import MockServer
from tests.helpers import (
    ADMIN_DOCUMENT,
    AUTH,
    FAST_RETRIES,
    PROMPTS,
    ROOT,
    TOKEN,
    UNKNOWN_ID,
    FakeClock,
    SdkWaits,
    assert_error,
    assert_sessions_clean,
    forget_sessions,
    registry,
    url,
)

CAP = 3
PROMPT = {"name": "n", "template": "t"}
Capped = Callable[..., TestClient]
"""``capped(**settings)``: an authenticated in-process client of a new mock holding at most
``CAP`` prompts (unless the settings say otherwise)."""


@pytest.fixture
def capped() -> Iterator[Capped]:
    apps: list[Starlette] = []

    def build(**settings: Any) -> TestClient:
        apps.append(
            create_app(Settings(**{"max_prompts": CAP} | settings), clock=FakeClock(step=1))
        )
        return TestClient(apps[-1], headers=AUTH)

    yield build
    for app in apps:
        assert_sessions_clean(app.state.sessions)


def at(session: str, path: str) -> str:
    return f"/sessions/{session}{path}" if session else path


def create(client: TestClient | httpx.Client, session: str = "") -> Any:
    return client.post(at(session, PROMPTS), json=PROMPT)


def fill(client: TestClient, *sessions: str) -> list[str]:
    """One prompt in each of these sessions; their IDs."""
    made = [create(client, session) for session in sessions]
    assert [response.status_code for response in made] == [201] * len(sessions)
    return [response.json()["id"] for response in made]


def state(client: TestClient, session: str = "") -> Any:
    response = client.get(at(session, "/__mock/state"))
    assert response.status_code == 200, response.text
    return response.json()


def assert_full(response: Any) -> None:
    assert_error(response, 507, param=None, details=[], mentions="--max-prompts")
    assert str(CAP) in response.json()["error"]["message"]


# --------------------------------------------------------------------------- createPrompt


def test_limits_create_past_the_cap_is_507_and_writes_nothing(capped: Capped) -> None:
    client = capped()
    fill(client, "", "", "")
    before = state(client)

    assert_full(create(client))
    assert state(client) == before
    journal = client.get("/__mock/requests", params={"operation": "createPrompt"}).json()["data"]
    entry = journal[-1]
    assert (entry["status"], entry["body"]) == (507, PROMPT)
    assert_error(entry["response"], 507, mentions="--max-prompts")


@pytest.mark.parametrize(
    ("holders", "refused"),
    [
        pytest.param(["", "", ""], "a", id="default-full-then-a-session"),
        pytest.param(["a", "a", "a"], "", id="a-session-full-then-default"),
        pytest.param(["", "a", "b"], "c", id="spread-then-a-new-session"),
        pytest.param(["a", "b", "b"], "a", id="spread-then-a-session-that-holds-some"),
    ],
)
def test_limits_cap_counts_prompts_across_sessions(
    capped: Capped, holders: list[str], refused: str
) -> None:
    client = capped()
    fill(client, *holders)
    before = {session: state(client, session) for session in {*holders, refused}}

    assert_full(create(client, refused))
    assert {session: state(client, session) for session in before} == before
    journal = client.get(at(refused, "/__mock/requests")).json()["data"]
    assert journal[-1]["status"] == 507


def test_limits_a_507_takes_no_id(capped: Capped) -> None:
    client = capped(seed=7)
    first = fill(client, "", "", "")
    assert_full(create(client))
    assert client.delete(url(first[0])).status_code == 200
    after = fill(client, "")

    fresh = capped(seed=7, max_prompts=10)
    assert fill(fresh, "", "", "", "") == [*first, *after]


def test_limits_everything_but_a_new_prompt_works_at_the_cap(capped: Capped) -> None:
    client = capped()
    prompt_id, *_ = fill(client, "", "a", "a")

    answers = [
        client.get(PROMPTS),
        client.get(url(prompt_id)),
        client.put(url(prompt_id), json={"name": "renamed"}),
        client.post(url(prompt_id, "/versions"), json={"template": "v2"}),
        client.get(url(prompt_id, "/versions")),
        client.get(url(prompt_id, "/versions/2")),
        client.post(url(prompt_id, "/rollback"), json={"version": 1}),
        client.get("/__mock/state"),
        client.get("/__mock/sessions"),
    ]
    assert [answer.status_code for answer in answers] == [200] * 3 + [201] + [200] * 5
    assert_full(create(client))

    assert client.delete(url(prompt_id)).status_code == 200  # a delete makes room
    fill(client, "")
    assert_full(create(client, "a"))
    assert client.post(at("a", "/__mock/reset")).status_code == 200  # and so does a reset
    fill(client, "b", "b")
    assert_full(create(client))


def test_limits_state_import_past_the_cap_is_507_and_changes_nothing(capped: Capped) -> None:
    client = capped()
    fill(client, "", "a")
    before = {session: state(client, session) for session in ("", "a")}
    owner = {"token": TOKEN}
    prompts = [{"owner": owner, "name": f"p{n}", "versions": [{"template": "t"}]} for n in range(3)]
    three = {"prompts": prompts}

    for session in ("", "a"):  # 3 here and 1 there would make 4
        answer = client.put(at(session, "/__mock/state"), json=three)
        assert_full(answer)
        assert {name: state(client, name) for name in before} == before

    two = {"prompts": prompts[:2]}
    assert client.put("/__mock/state", json=two).status_code == 200  # 2 here, 1 there: 3
    assert [p["name"] for p in state(client)["prompts"]] == ["p0", "p1"]
    assert state(client, "a") == before["a"]


# --------------------------------------------------------------------------- --max-sessions

CONTRACT = yaml.safe_load((ROOT / "openapi.yaml").read_text("utf-8"))


def declared(document: dict[str, Any], method: str, path: str) -> set[int]:
    """The statuses an operation of an OpenAPI document declares."""
    return {int(status) for status in document["paths"][path][method.lower()]["responses"]}


@pytest.mark.parametrize(
    ("method", "path", "template", "document"),
    [
        pytest.param("POST", PROMPTS, PROMPTS, CONTRACT, id="createPrompt"),
        pytest.param("GET", PROMPTS, PROMPTS, CONTRACT, id="listPrompts"),
        pytest.param("GET", url(UNKNOWN_ID), f"{PROMPTS}/{{id}}", CONTRACT, id="getPrompt"),
        pytest.param("DELETE", url(UNKNOWN_ID), f"{PROMPTS}/{{id}}", CONTRACT, id="deletePrompt"),
        pytest.param("GET", "/__mock/requests", "/__mock/requests", ADMIN_DOCUMENT, id="admin"),
    ],
)
def test_limits_past_max_sessions_answers_a_status_the_operation_declares(
    capped: Capped, method: str, path: str, template: str, document: dict[str, Any]
) -> None:
    client = capped(max_sessions=1)
    fill(client, "a")
    answer = client.request(method, at("b", path), json=PROMPT if method == "POST" else None)
    assert_error(answer, answer.status_code, mentions="--max-sessions")
    assert answer.status_code in declared(document, method, template), answer.text


# --------------------------------------------------------------------------- over the network


@pytest.fixture(scope="module")
def running() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, max_prompts=CAP)) as server:
        yield server


@pytest.fixture
def live(running: MockServer) -> Iterator[MockServer]:
    forget_sessions(registry(running.session))
    yield running
    assert_sessions_clean(registry(running.session))


def test_limits_concurrent_creates_never_pass_the_cap(live: MockServer) -> None:
    sessions = ["", "a", "b"] * 4
    with httpx.Client(base_url=live.url, headers=AUTH) as client:
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda s: create(client, s).status_code, sessions))
        held = [row["prompts"] for row in client.get("/__mock/sessions").json()["data"]]
    assert sorted(statuses) == [201] * CAP + [507] * (len(sessions) - CAP)
    assert sum(held) == CAP


@pytest.mark.parametrize(
    "retries",
    [
        pytest.param({"retry_config": FAST_RETRIES}, id="backoff-on-5xx"),
        pytest.param({}, id="sdk-default-backoff"),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_limits_the_sdk_does_not_retry_a_507(
    live: MockServer, sdk_waits: SdkWaits, retries: dict[str, Any], mode: str
) -> None:
    with httpx.Client(base_url=live.url, headers=AUTH) as client:
        for _ in range(CAP):
            assert create(client).status_code == 201

    async def create_async() -> None:
        async with httpx.AsyncClient() as async_client:
            sdk = SDK(bearer_auth=TOKEN, server_url=live.url, async_client=async_client, **retries)
            await sdk.llm.prompts.create_async(name="n", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        if mode == "async":
            asyncio.run(create_async())
        else:
            with SDK(bearer_auth=TOKEN, server_url=live.url, **retries) as sdk:
                sdk.llm.prompts.create(name="n", template="t")
    assert_error(caught.value, 507, mentions="--max-prompts")
    assert [entry.status for entry in live.requests("createPrompt")] == [201] * CAP + [507]
    assert sdk_waits.waits == []
