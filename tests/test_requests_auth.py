"""401: the bearer token is checked first, on every operation, before anything else is read;
the scheme is case-insensitive, and ``--api-key`` restricts the tokens. No state changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app
from tests.helpers import (
    CREATE,
    ITEM,
    PROMPTS,
    ROLLBACK,
    UNKNOWN_ID,
    VERSIONS,
    assert_clean,
    assert_error,
    is_plain,
    raw,
    send,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("stepping_clock")


@pytest.fixture(scope="module")
def keyed_app() -> Starlette:
    return create_app(Settings(api_keys=frozenset({"key-1", "key-2"})))


@pytest.fixture
def keyed(keyed_app: Starlette) -> Iterator[TestClient]:
    """A client without a token of an app that accepts only key-1 and key-2, reset as if new."""
    session: Session = keyed_app.state.session
    session.reset()
    with TestClient(keyed_app) as test_client:
        yield test_client
    assert_clean(session)


@pytest.fixture
def anonymous(app: Starlette, session: Session) -> Iterator[TestClient]:
    """A client of the same app that sends no Authorization header."""
    with TestClient(app) as test_client:
        yield test_client
    assert_clean(session)


ALL_OPERATIONS = [
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "t"}}, id="createPrompt"),
    pytest.param("GET", CREATE, {}, id="listPrompts"),
    pytest.param("GET", ITEM, {}, id="getPrompt"),
    pytest.param("PUT", ITEM, {"json": {"name": "m"}}, id="updatePrompt"),
    pytest.param("DELETE", ITEM, {}, id="deletePrompt"),
    pytest.param("POST", VERSIONS, {"json": {"template": "v3"}}, id="createPromptVersion"),
    pytest.param("GET", VERSIONS, {}, id="listPromptVersions"),
    pytest.param("GET", "/{id}/versions/1", {}, id="getPromptVersion"),
    pytest.param("POST", ROLLBACK, {"json": {"version": 2}}, id="rollbackPrompt"),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), ALL_OPERATIONS)
def test_auth_missing_header_is_401_on_every_operation(
    client: TestClient,
    anonymous: TestClient,
    rolled_back_prompt: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    before = snapshot(client)
    response = send(anonymous, method, path, rolled_back_prompt["id"], **kwargs)
    error = assert_error(response, 401)
    assert [d["location"] for d in error["details"]] == ["header.Authorization"]
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Basic xyz", id="basic-scheme"),
        pytest.param("Token abc", id="other-scheme"),
        pytest.param("Bearer ", id="bearer-empty-token"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer    ", id="bearer-blank-token"),
        pytest.param("test-token", id="token-without-scheme"),
        pytest.param("", id="empty-header"),
    ],
)
def test_auth_bad_header_is_401(anonymous: TestClient, session: Session, value: str) -> None:
    response = anonymous.post(
        PROMPTS, json={"name": "n", "template": "t"}, headers={"Authorization": value}
    )
    error = assert_error(response, 401)
    assert [d["location"] for d in error["details"]] == ["header.Authorization"]
    assert all(is_plain(d["message"]) for d in error["details"])
    assert list(session.store) == []


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("bearer x", id="lowercase"),
        pytest.param("BEARER x", id="uppercase"),
        pytest.param("BeArEr x", id="mixed-case"),
    ],
)
def test_auth_scheme_is_case_insensitive(anonymous: TestClient, value: str) -> None:
    created = anonymous.post(
        PROMPTS, json={"name": "n", "template": "t"}, headers={"Authorization": value}
    )
    assert created.status_code == 201, created.text
    listed = anonymous.get(PROMPTS, headers={"Authorization": "Bearer x"}).json()
    assert [p["id"] for p in listed["data"]] == [created.json()["id"]]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        pytest.param("POST", CREATE, raw(b"{"), id="malformed-json"),
        pytest.param("POST", CREATE, {"json": {}}, id="schema-invalid-body"),
        pytest.param("POST", CREATE, raw(b"{}", "text/plain"), id="wrong-content-type"),
        pytest.param("POST", CREATE, {"content": b'{"name": "n", "template": "t"}'},
                     id="missing-content-type"),
        pytest.param("GET", CREATE, {"params": {"limit": "0"}}, id="bad-query"),
        pytest.param("PUT", ITEM, {"json": {"name": ""}}, id="bad-body-unknown-id"),
        pytest.param("GET", ITEM, {}, id="unknown-id"),
    ],
)  # fmt: skip
def test_auth_is_checked_first(
    anonymous: TestClient, session: Session, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = send(anonymous, method, path, UNKNOWN_ID, **kwargs)
    assert_error(response, 401)
    assert list(session.store) == []


def test_auth_is_checked_before_body_size(small_app: Starlette) -> None:
    small_app.state.session.reset()
    with TestClient(small_app) as anonymous:
        response = anonymous.post(PROMPTS, **raw(b'{"name": "' + b"x" * 500 + b'"}'))
    assert_error(response, 401)
    assert list(small_app.state.session.store) == []
    assert_clean(small_app.state.session)


@pytest.mark.parametrize(
    ("token", "status"),
    [
        pytest.param("key-1", 200, id="first-key"),
        pytest.param("key-2", 200, id="second-key"),
        pytest.param("key-3", 401, id="unknown-key"),
        pytest.param("KEY-1", 401, id="keys-are-case-sensitive"),
    ],
)
def test_auth_api_keys_restrict_tokens(keyed: TestClient, token: str, status: int) -> None:
    response = keyed.get(PROMPTS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    if status == 401:
        assert_error(response, 401)
