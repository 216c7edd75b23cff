"""Routing: a path the contract does not have is a 404 (a trailing slash too, never a redirect),
a method it does not have on a path is a 405 with ``Allow``; no state changes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    CREATE,
    ITEM,
    PROMPTS,
    ROLLBACK,
    UNKNOWN_ID,
    VERSIONS,
    assert_error,
    send,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("stepping_clock")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/nope", id="unknown-root"),
        pytest.param("/api/v1/llm/prompt", id="near-miss"),
        pytest.param(PROMPTS + "/", id="trailing-slash-collection"),
        pytest.param(f"{PROMPTS}/{UNKNOWN_ID}/", id="trailing-slash-item"),
        pytest.param(f"{PROMPTS}/{UNKNOWN_ID}/versions/", id="trailing-slash-versions"),
        pytest.param(f"{PROMPTS}/{UNKNOWN_ID}/versions/1/", id="trailing-slash-version"),
        pytest.param(f"{PROMPTS}/{UNKNOWN_ID}/rollback/", id="trailing-slash-rollback"),
        pytest.param(f"{PROMPTS}/{UNKNOWN_ID}/other", id="unknown-subresource"),
    ],
)
def test_unknown_path_is_404(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert "location" not in response.headers
    assert_error(response, 404, param=None, details=[])


def test_trailing_slash_on_real_prompt_is_404(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    response = client.get(f"{PROMPTS}/{rolled_back_prompt['id']}/", follow_redirects=False)
    assert_error(response, 404, param=None, details=[])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("PATCH", CREATE, {"GET", "POST"}, id="patch-collection"),
        pytest.param("DELETE", CREATE, {"GET", "POST"}, id="delete-collection"),
        pytest.param("PUT", CREATE, {"GET", "POST"}, id="put-collection"),
        pytest.param("POST", ITEM, {"GET", "PUT", "DELETE"}, id="post-item"),
        pytest.param("PATCH", ITEM, {"GET", "PUT", "DELETE"}, id="patch-item"),
        pytest.param("DELETE", VERSIONS, {"GET", "POST"}, id="delete-versions"),
        pytest.param("POST", "/{id}/versions/1", {"GET"}, id="post-version"),
        pytest.param("DELETE", "/{id}/versions/1", {"GET"}, id="delete-version"),
        pytest.param("GET", ROLLBACK, {"POST"}, id="get-rollback"),
        pytest.param("PUT", ROLLBACK, {"POST"}, id="put-rollback"),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: TestClient, rolled_back_prompt: dict[str, Any], method: str, path: str, allow: set[str]
) -> None:
    before = snapshot(client)
    response = send(
        client, method, path, rolled_back_prompt["id"], json={"version": 2, "name": "m"}
    )
    assert_error(response, 405, param=None, details=[])
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow
    assert snapshot(client) == before
