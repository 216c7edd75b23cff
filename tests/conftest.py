"""Shared fixtures: an in-process client by default, a real uvicorn where the network matters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, create_app
from mka1_mock.server import MockServer

pytest_plugins = ["pytester"]

PROMPTS = "/api/v1/llm/prompts"
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The operationIds the official SDK uses, as decisions.md fixes them.
SDK_OPERATIONS = {
    "createPrompt",
    "listPrompts",
    "getPrompt",
    "updatePrompt",
    "deletePrompt",
    "createPromptVersion",
    "listPromptVersions",
    "getPromptVersion",
    "rollbackPrompt",
}


@pytest.fixture
def app() -> Starlette:
    return create_app()


@pytest.fixture
def session(app: Starlette) -> Session:
    """The app's state: store, violations, settings."""
    state: Session = app.state.session
    return state


@pytest.fixture
def client(app: Starlette, session: Session) -> Iterator[TestClient]:
    """An authenticated client; each test also proves no response broke the contract."""
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client
    assert list(session.violations) == [], (
        "the mock sent (and replaced) a contract-breaking response"
    )


@pytest.fixture
def make_prompt(client: TestClient) -> Any:
    """Create a prompt through the API and return its JSON."""

    def make(**fields: Any) -> dict[str, Any]:
        body = {"name": "greeting", "template": "Hello, {{name}}!"} | fields
        response = client.post(PROMPTS, json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    return make


@pytest.fixture(scope="session")
def live_server() -> Iterator[MockServer]:
    """A real uvicorn server, shared by the tests that go over the network."""
    with MockServer() as server:
        yield server


@pytest.fixture
def server(live_server: MockServer) -> MockServer:
    """The live server with empty state and no recorded violations."""
    live_server.session.store.reset()
    live_server.session.violations.clear()
    return live_server
