"""Named sessions (``/sessions/{name}/...``): each is a mock of its own, next to the default one.

Isolation is proven over the network with the official SDK, two sessions driven at once; the
bounds (``--max-sessions``, ``--session-ttl``, names) in-process, with the idle clock injected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import yaml
from hypothesis import Phase, given, settings
from mka1 import SDK
from mka1.errors import SDKDefaultError
from schemathesis import checks
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from mka1_mock.server import MockServer
from tests.helpers import (
    AUTH,
    NO_RETRIES,
    PROMPTS,
    TOKEN,
    FakeMonotonic,
    FakeSleep,
    assert_error,
    assert_sessions_clean,
    forget_sessions,
    registry,
    wait_for,
)

A, B = "test-a", "test-b"
FROZEN = "2030-01-02T03:04:05Z"
PROMPT = {"name": "n", "template": "t"}


@pytest.fixture(scope="module")
def running() -> Iterator[MockServer]:
    with MockServer(Settings(port=0)) as server:
        yield server


@pytest.fixture
def live(running: MockServer) -> Iterator[MockServer]:
    """The module's server as new (no named session); no session of it may break the contract."""
    forget_sessions(registry(running.session))
    yield running
    assert_sessions_clean(registry(running.session))


@pytest.fixture
def http(live: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers=AUTH) as client:
        yield client


def sdk_for(server: MockServer, name: str) -> SDK:
    return SDK(
        bearer_auth=TOKEN, server_url=f"{server.url}/sessions/{name}", retry_config=NO_RETRIES
    )


def in_session(name: str, path: str) -> str:
    return f"/sessions/{name}{path}" if name else path


def journal(client: httpx.Client | TestClient, name: str = "") -> list[dict[str, Any]]:
    response = client.get(in_session(name, "/__mock/requests"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def listed(client: httpx.Client | TestClient, name: str = "") -> list[str]:
    response = client.get(in_session(name, PROMPTS), params={"limit": 100, "order": "asc"})
    assert response.status_code == 200, response.text
    return [prompt["id"] for prompt in response.json()["data"]]


def sessions_of(client: httpx.Client | TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/__mock/sessions")
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()["data"]}


def create_in(client: httpx.Client | TestClient, name: str = "") -> dict[str, Any]:
    """A prompt made through the API in that session (the default one for "")."""
    response = client.post(in_session(name, PROMPTS), json=PROMPT)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def assert_default_untouched(client: httpx.Client | TestClient) -> None:
    assert journal(client) == []
    assert listed(client) == []


# --------------------------------------------------------------------------- isolation


def test_sessions_driven_concurrently_by_the_sdk_see_only_their_own(
    live: MockServer, http: httpx.Client
) -> None:
    barrier = threading.Barrier(2)

    def drive(name: str) -> list[str]:
        with sdk_for(live, name) as sdk:
            barrier.wait()
            made = []
            for number in range(4):
                prompt = sdk.llm.prompts.create(name=f"{name}-{number}", template=f"{name} v1")
                sdk.llm.prompts.create_version(id=prompt.id, template=f"{name} v2")
                made.append(prompt.id)
            return made

    with ThreadPoolExecutor(2) as pool:
        made = dict(zip([A, B], pool.map(drive, [A, B]), strict=True))

    for name, other in [(A, B), (B, A)]:
        with sdk_for(live, name) as sdk:
            page = sdk.llm.prompts.list(limit=100, order="asc")
            assert [prompt.id for prompt in page.data] == made[name]
            assert {prompt.name.rsplit("-", 1)[0] for prompt in page.data} == {name}
            for prompt_id in made[other]:
                with pytest.raises(SDKDefaultError) as caught:
                    sdk.llm.prompts.get(id=prompt_id)
                assert_error(caught.value, 404, param="id")
        entries = journal(http, name)
        writes = ["createPrompt", "createPromptVersion"] * 4
        reads = ["listPrompts"] + ["getPrompt"] * 4
        assert [entry["operation_id"] for entry in entries] == writes + reads
        assert {entry["body"]["template"] for entry in entries[:8]} == {f"{name} v1", f"{name} v2"}
    assert_default_untouched(http)


def test_sessions_fault_rules_fail_only_their_session(live: MockServer, http: httpx.Client) -> None:
    rule = {"operation": "createPrompt", "status": 503}
    added = http.post(in_session(A, "/__mock/faults"), json=rule)
    assert added.status_code == 201, added.text

    def create(name: str) -> int:
        with sdk_for(live, name) as sdk:
            try:
                sdk.llm.prompts.create(name=name, template="t")
            except SDKDefaultError as error:
                assert_error(error, 503)
                return error.status_code
            return 201

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(create, [A, B])) == [503, 201]
    assert [entry["fault"] for entry in journal(http, A)] == [added.json()["id"]]
    assert [entry["fault"] for entry in journal(http, B)] == [None]
    assert http.get(in_session(B, "/__mock/faults")).json() == {"data": []}
    assert http.get("/__mock/faults").json() == {"data": []}
    create_in(http)  # the default session has no rule either


def test_sessions_clock_freezes_only_its_session(live: MockServer, http: httpx.Client) -> None:
    frozen = http.put(in_session(A, "/__mock/clock"), json={"now": FROZEN})
    assert frozen.json() == {"now": FROZEN, "frozen": True}

    with sdk_for(live, A) as sdk_a, sdk_for(live, B) as sdk_b:
        in_a = sdk_a.llm.prompts.create(name="a", template="t")
        in_b = sdk_b.llm.prompts.create(name="b", template="t")
    assert in_a.created_at.year == 2030
    assert in_b.created_at.year != 2030
    assert http.get(in_session(B, "/__mock/clock")).json()["frozen"] is False
    assert http.get("/__mock/clock").json()["frozen"] is False
    assert create_in(http)["created_at"] != FROZEN


def test_sessions_reset_of_one_leaves_the_others_intact(http: httpx.Client) -> None:
    def view(name: str) -> dict[str, Any]:
        paths = ("/__mock/state", "/__mock/requests", "/__mock/faults", "/__mock/clock")
        return {path: http.get(in_session(name, path)).json() for path in paths}

    for name in (A, B, ""):
        create_in(http, name)
        rule = {"operation": "getPrompt", "delay_ms": 1}
        assert http.post(in_session(name, "/__mock/faults"), json=rule).status_code == 201
        assert http.put(in_session(name, "/__mock/clock"), json={"now": FROZEN}).status_code == 200
    before = {name: view(name) for name in (B, "")}

    assert http.post(in_session(A, "/__mock/reset")).status_code == 200
    after = view(A)
    assert after["/__mock/state"] == {"prompts": []} and after["/__mock/requests"] == {"data": []}
    assert after["/__mock/faults"] == {"data": []} and after["/__mock/clock"]["frozen"] is False
    assert {name: view(name) for name in (B, "")} == before


@pytest.mark.parametrize("name", [pytest.param(A, id="dash"), pytest.param("v1.2_x", id="dots")])
def test_sessions_document_names_the_session_as_its_server(http: httpx.Client, name: str) -> None:
    default = http.get("/openapi.json").json()
    as_json = http.get(f"/sessions/{name}/openapi.json").json()
    as_yaml = yaml.safe_load(http.get(f"/sessions/{name}/openapi.yaml").text)
    for document in (as_json, as_yaml):
        assert document["servers"] == [{"url": f"/sessions/{name}"}]
        assert {key: value for key, value in document.items() if key != "servers"} == {
            key: value for key, value in default.items() if key != "servers"
        }
    assert default["servers"][0]["url"] == "/"


def test_sessions_document_is_a_base_for_schemathesis(live: MockServer, http: httpx.Client) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/sessions/fuzz/openapi.json")
    strategy = schema["/api/v1/llm/prompts"]["POST"].as_strategy()  # schema-valid cases

    @given(case=strategy)
    @settings(max_examples=5, deadline=None, database=None, phases=[Phase.generate])
    def create(case: schemathesis.Case[Any]) -> None:
        response = case.call(session=connection, headers=AUTH)
        assert response.request.url == f"{live.url}/sessions/fuzz{PROMPTS}"
        assert response.status_code == 201, response.text
        # Any non-empty token is accepted, as documented: not the check's idea of auth.
        case.validate_response(response, excluded_checks=[checks.ignored_auth])

    with requests.Session() as connection:
        create()
    entries = {(entry["operation_id"], entry["status"]) for entry in journal(http, "fuzz")}
    assert entries == {("createPrompt", 201)}
    assert_default_untouched(http)


# --------------------------------------------------------------------------- the admin API


def test_sessions_listing_names_each_with_its_sizes(http: httpx.Client) -> None:
    for name, count in [(A, 2), (B, 1)]:
        for _ in range(count):
            create_in(http, name)
    http.get(in_session(A, PROMPTS))

    rows = list(sessions_of(http).values())
    assert rows[0] == {"name": "default", "prompts": 0, "requests": 0, "idle_seconds": None}
    sizes = {row["name"]: (row["prompts"], row["requests"]) for row in rows[1:]}
    assert sizes == {A: (2, 3), B: (1, 1)}
    assert all(row["idle_seconds"] >= 0 for row in rows[1:])


def test_sessions_named_default_is_the_default_session(http: httpx.Client) -> None:
    made = create_in(http, "default")
    assert listed(http) == [made["id"]]
    assert [row["name"] for row in http.get("/__mock/sessions").json()["data"]] == ["default"]
    refused = http.delete("/__mock/sessions/default")
    assert_error(refused, 404, param="name", mentions="/__mock/reset")
    assert listed(http) == [made["id"]]


def test_sessions_drop_forgets_one_session_only(http: httpx.Client) -> None:
    kept = [create_in(http)["id"]]
    for name in (A, B):
        create_in(http, name)
    in_b = listed(http, B)

    dropped = http.delete(f"/__mock/sessions/{A}")
    assert dropped.status_code == 200, dropped.text
    assert set(sessions_of(http)) == {"default", B}
    assert listed(http, A) == []  # a new, empty session of that name
    assert listed(http, B) == in_b
    assert listed(http) == kept


def test_sessions_drop_of_an_unknown_name_is_404(http: httpx.Client) -> None:
    http.get(in_session(A, PROMPTS))
    response = http.delete("/__mock/sessions/nobody")
    assert_error(response, 404, param="name", mentions="nobody")
    assert set(sessions_of(http)) == {"default", A}


# --------------------------------------------------------------------------- bounds

Bounded = Callable[..., TestClient]
"""``bounded(**settings)``: an authenticated in-process client of a new mock with these
settings, whose sessions' idle time is the test's ``idle`` clock."""


@pytest.fixture
def idle() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def bounded(idle: FakeMonotonic) -> Iterator[Bounded]:
    apps: list[Starlette] = []

    def build(**settings: Any) -> TestClient:
        apps.append(create_app(Settings(**settings), monotonic=idle))
        return TestClient(apps[-1], headers=AUTH)

    yield build
    for app in apps:
        assert_sessions_clean(app.state.sessions)


def test_sessions_drop_gives_back_its_prompts_to_the_cap(bounded: Bounded) -> None:
    client = bounded(max_prompts=2)
    create_in(client, A)
    create_in(client, A)
    assert_error(client.post(PROMPTS, json=PROMPT), 507, mentions="--max-prompts")

    assert client.delete(f"/__mock/sessions/{A}").status_code == 200
    create_in(client)
    create_in(client)


def test_sessions_past_max_sessions_is_507_and_evicts_none(
    bounded: Bounded, idle: FakeMonotonic
) -> None:
    client = bounded(max_sessions=2)
    made = {name: create_in(client, name)["id"] for name in (A, B)}
    for _ in range(3):
        idle.advance(1)
        refused = client.get(in_session("test-c", PROMPTS))
        assert_error(refused, 507, param=None, details=[], mentions="--max-sessions")

    assert set(sessions_of(client)) == {"default", A, B}
    for name in (A, B):
        assert listed(client, name) == [made[name]]
    create_in(client)  # the default session is not one of them
    assert client.delete(f"/__mock/sessions/{A}").status_code == 200
    assert client.get(in_session("test-c", PROMPTS)).status_code == 200


def test_sessions_idle_one_expires_after_the_ttl(bounded: Bounded, idle: FakeMonotonic) -> None:
    client = bounded(max_sessions=1, session_ttl=60, max_prompts=1)
    create_in(client, A)
    idle.advance(60)
    assert client.get(in_session(A, PROMPTS)).status_code == 200  # used again: idle from now
    idle.advance(60)
    assert_error(client.get(in_session(B, PROMPTS)), 507, mentions="--max-sessions")

    idle.advance(0.5)
    create_in(client, B)  # a's slot, and the room its prompt took, are free again
    assert set(sessions_of(client)) == {"default", B}


def test_sessions_one_in_use_is_not_evicted_past_the_ttl(idle: FakeMonotonic) -> None:
    sleep = FakeSleep()
    settings = Settings(port=0, max_sessions=1, session_ttl=60)
    answers: list[httpx.Response] = []
    with (
        MockServer(settings, sleep=sleep, monotonic=idle) as server,
        httpx.Client(base_url=server.url, headers=AUTH) as client,
    ):

        def slow_create() -> None:
            slow = {"Prefer": "delay=1000"}
            answers.append(client.post(in_session(A, PROMPTS), json=PROMPT, headers=slow))

        sleep.hold()
        thread = threading.Thread(target=slow_create)
        thread.start()
        try:
            wait_for(lambda: bool(sleep.waits))
            idle.advance(120)  # a's request is still being answered
            other = client.get(in_session(B, PROMPTS))
        finally:
            sleep.release()
            thread.join(10)
        assert_error(other, 507, mentions="--max-sessions")
        assert answers[0].status_code == 201, answers[0].text
        assert listed(client, A) == [answers[0].json()["id"]]
        assert_sessions_clean(registry(server.session))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("bad%20name", id="space"),
        pytest.param("x" * 65, id="65-characters"),
        pytest.param("-leading-dash", id="leading-dash"),
        pytest.param(".leading-dot", id="leading-dot"),
        pytest.param("", id="empty"),
        pytest.param("bad%2Fname", id="encoded-slash"),
    ],
)
def test_sessions_bad_name_is_400_and_makes_none(bounded: Bounded, name: str) -> None:
    client = bounded()
    response = client.get(f"/sessions/{name}{PROMPTS}")
    assert_error(response, 400)
    assert set(sessions_of(client)) == {"default"}


def test_sessions_prefix_without_a_path_is_404_and_makes_none(bounded: Bounded) -> None:
    client = bounded()
    response = client.get("/sessions/lonely")
    assert_error(response, 404, mentions="/sessions/lonely")
    assert set(sessions_of(client)) == {"default"}


@pytest.mark.parametrize(
    "name", [pytest.param("x" * 64, id="64-characters"), pytest.param("A.b_c-9", id="mixed")]
)
def test_sessions_good_name_is_made_on_first_use(bounded: Bounded, name: str) -> None:
    client = bounded()
    assert client.get(f"/sessions/{name}{PROMPTS}").status_code == 200
    assert set(sessions_of(client)) == {"default", name}
