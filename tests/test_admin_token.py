"""``--admin-token``: with it, every call to the admin API (``/__mock/...``, in any session, its
document included) needs ``Authorization: Bearer <token>``; the MKA1 API keeps its own auth."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from mka1_mock.server import MockServer
from tests.helpers import (
    AUTH,
    PROMPTS,
    assert_error,
    assert_sessions_clean,
    create_prompt,
    forget_sessions,
    mock_env,
    mock_process,
    registry,
    stop_process,
)

SECRET = "s3cret"
ADMIN = {"Authorization": f"Bearer {SECRET}"}
STATE = {
    "prompts": [{"owner": {"token": "k"}, "name": "imported", "versions": [{"template": "t"}]}]
}
# Every admin operation, and the document, in the default session and in a named one.
CALLS = [
    pytest.param("GET", "/__mock/health", None, id="health"),
    pytest.param("GET", "/__mock/openapi.json", None, id="openapi"),
    pytest.param("POST", "/__mock/reset", None, id="reset"),
    pytest.param("GET", "/__mock/state", None, id="exportState"),
    pytest.param("PUT", "/__mock/state", STATE, id="importState"),
    pytest.param("GET", "/__mock/requests", None, id="listRequests"),
    pytest.param("DELETE", "/__mock/requests", None, id="clearRequests"),
    pytest.param("GET", "/__mock/violations", None, id="listViolations"),
    pytest.param("GET", "/__mock/crashes", None, id="listCrashes"),
    pytest.param("GET", "/__mock/report", None, id="getReport"),
    pytest.param("GET", "/__mock/sessions", None, id="listSessions"),
    pytest.param("DELETE", "/__mock/sessions/x", None, id="dropSession"),
    pytest.param("GET", "/__mock/faults", None, id="listFaults"),
    pytest.param(
        "POST", "/__mock/faults", {"operation": "getPrompt", "status": 500}, id="addFault"
    ),
    pytest.param("DELETE", "/__mock/faults", None, id="clearFaults"),
    pytest.param("GET", "/__mock/clock", None, id="getClock"),
    pytest.param("PUT", "/__mock/clock", {"now": "2030-01-01T00:00:00Z"}, id="setClock"),
    pytest.param("POST", "/sessions/x/__mock/reset", None, id="session-reset"),
    pytest.param("GET", "/sessions/x/__mock/requests", None, id="session-listRequests"),
    pytest.param("PUT", "/sessions/x/__mock/state", STATE, id="session-importState"),
    pytest.param("GET", "/sessions/x/__mock/openapi.json", None, id="session-openapi"),
]
REFUSED = [
    pytest.param({}, "is missing", id="no-header"),
    pytest.param({"Authorization": "Bearer wrong"}, "does not carry", id="wrong-token"),
    pytest.param({"Authorization": f"Basic {SECRET}"}, "does not carry", id="basic-scheme"),
    pytest.param({"Authorization": SECRET}, "does not carry", id="no-scheme"),
    pytest.param({"Authorization": "Bearer "}, "does not carry", id="empty-token"),
    pytest.param({"Authorization": f"Bearer {SECRET}x"}, "does not carry", id="longer-token"),
]


@pytest.fixture(scope="module")
def guarded_app() -> Starlette:
    return create_app(Settings(admin_token=SECRET))


@pytest.fixture
def client(guarded_app: Starlette) -> Iterator[TestClient]:
    """An in-process client of a mock with an admin token, as new: a prompt, a journal entry, a
    fault rule and a frozen clock in the default session and in session ``x``; no credentials."""
    sessions = guarded_app.state.sessions
    forget_sessions(sessions)
    with TestClient(guarded_app) as test_client:
        for prefix in ("", "/sessions/x"):
            test_client.post(prefix + PROMPTS, json={"name": "n", "template": "t"}, headers=AUTH)
            rule = {"operation": "listPrompts", "status": 503}
            test_client.post(prefix + "/__mock/faults", json=rule, headers=ADMIN)
            test_client.put(
                prefix + "/__mock/clock", json={"now": "2029-01-01T00:00:00Z"}, headers=ADMIN
            )
        yield test_client
    assert_sessions_clean(sessions)


def everything(client: TestClient) -> dict[str, Any]:
    """What the admin API shows of the mock, read with the token."""
    seen = {}
    for prefix in ("", "/sessions/x"):
        for path in ("/__mock/state", "/__mock/requests", "/__mock/faults", "/__mock/clock"):
            response = client.get(prefix + path, headers=ADMIN)
            assert response.status_code == 200, response.text
            seen[prefix + path] = response.json()
    seen["sessions"] = [
        {key: value for key, value in row.items() if key != "idle_seconds"}
        for row in client.get("/__mock/sessions", headers=ADMIN).json()["data"]
    ]
    return seen


@pytest.mark.parametrize(("headers", "problem"), REFUSED)
@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_admin_token_refuses_every_admin_call_without_it(
    client: TestClient, method: str, path: str, body: Any, headers: dict[str, str], problem: str
) -> None:
    before = everything(client)
    response = client.request(method, path, json=body, headers=headers)
    assert_error(response, 401, param="Authorization", locations=["header.Authorization"])
    assert problem in response.json()["error"]["details"][0]["message"]
    assert "--admin-token" in response.json()["error"]["message"]
    assert everything(client) == before


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
@pytest.mark.parametrize(
    "authorization",
    [pytest.param(f"Bearer {SECRET}", id="bearer"), pytest.param(f"bearer {SECRET}", id="lower")],
)
def test_admin_token_lets_every_admin_call_through_with_it(
    client: TestClient, method: str, path: str, body: Any, authorization: str
) -> None:
    response = client.request(method, path, json=body, headers={"Authorization": authorization})
    assert response.status_code in (200, 201), response.text


def test_admin_token_refused_call_in_a_new_session_makes_no_session(client: TestClient) -> None:
    before = everything(client)
    response = client.post("/sessions/fresh/__mock/reset", headers={"Authorization": "Bearer no"})
    assert_error(response, 401, param="Authorization")
    assert everything(client) == before


@pytest.mark.parametrize(
    "prefix", [pytest.param("", id="default"), pytest.param("/sessions/x", id="session")]
)
def test_admin_token_is_not_needed_by_the_api(client: TestClient, prefix: str) -> None:
    client.delete(prefix + "/__mock/faults", headers=ADMIN)
    assert client.get(prefix + PROMPTS, headers=AUTH).status_code == 200
    created = client.post(prefix + PROMPTS, json={"name": "n", "template": "t"}, headers=AUTH)
    assert created.status_code == 201, created.text
    assert client.get(prefix + "/openapi.json").status_code == 200  # the contract is public
    # The API keeps its own bearer auth: the admin token does not replace it.
    assert_error(client.get(prefix + PROMPTS), 401, param="Authorization")


def test_admin_token_mock_server_controls_need_none() -> None:
    with MockServer(Settings(port=0, admin_token=SECRET)) as server:
        with httpx.Client(base_url=server.url, headers=AUTH) as http:
            create_prompt(http)
            server.fail("createPrompt", status=503, times=1)
            assert http.post(PROMPTS, json={"name": "n", "template": "t"}).status_code == 503
            assert [entry.status for entry in server.requests()] == [201, 503]
            server.freeze("2030-01-01T00:00:00Z")
            assert create_prompt(http)["created_at"] == "2030-01-01T00:00:00Z"
            assert len(server.export()["prompts"]) == 2
            server.reset()
            assert server.requests() == [] and server.export() == {"prompts": []}
            assert_error(http.get("/__mock/requests"), 401)
        assert_sessions_clean(registry(server.session))


def test_admin_token_is_off_by_default() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url) as http:
        assert http.post("/__mock/reset").status_code == 200
        assert http.get("/__mock/requests").json() == {"data": []}
        assert http.get("/sessions/x/__mock/requests").json() == {"data": []}


def test_admin_token_plugin_works_without_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_inner(mka1_mock):
            auth = {"Authorization": "Bearer k"}
            body = {"name": "n", "template": "t"}
            with httpx.Client(base_url=mka1_mock.url, headers=auth) as http:
                assert http.post("/api/v1/llm/prompts", json=body).status_code == 201
                assert [entry.status for entry in mka1_mock.requests()] == [201]
                assert len(http.get("/__mock/requests").json()["data"]) == 1
                assert http.post("/__mock/reset").status_code == 200
        """
    )
    lean = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")
    pytester.runpytest_subprocess(*lean).assert_outcomes(passed=1)


# --------------------------------------------------------------------------- the command line


def served(*args: str, **env: str) -> tuple[str, dict[str, int]]:
    """Start ``mka1-mock ARGS``, call GET /__mock/requests without and with the token, stop it
    with SIGTERM; what it wrote on stderr and the two statuses."""
    with mock_process(*args, env=mock_env(**env)) as (proc, url):
        with httpx.Client(base_url=url) as http:
            statuses = {
                "without": http.get("/__mock/requests").status_code,
                "with": http.get("/__mock/requests", headers=ADMIN).status_code,
            }
        stderr = stop_process(proc, signal.SIGTERM)
    assert proc.returncode == 0, stderr
    return stderr, statuses


def test_admin_token_cli_warns_on_an_open_interface_without_one() -> None:
    stderr, statuses = served("--host", "0.0.0.0")
    warnings = [line for line in stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "--admin-token" in warnings[0], stderr
    assert statuses == {"without": 200, "with": 200}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(("--admin-token", SECRET), {}, id="option"),
        pytest.param((), {"MKA1_MOCK_ADMIN_TOKEN": SECRET}, id="environment"),
    ],
)
def test_admin_token_cli_guards_the_admin_api_and_does_not_warn(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    stderr, statuses = served("--host", "0.0.0.0", *args, **env)
    assert "warning" not in stderr.lower(), stderr
    assert SECRET not in stderr
    assert statuses == {"without": 401, "with": 200}


def test_admin_token_cli_does_not_warn_on_loopback() -> None:
    stderr, statuses = served()
    assert "warning" not in stderr.lower(), stderr
    assert statuses == {"without": 200, "with": 200}
