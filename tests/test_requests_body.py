"""The request body: over the size limit it is a 413 before anything else of it is read; not
JSON it is a 415, before it is parsed or the prompt looked up. No state changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    CREATE,
    ITEM,
    JSON_TYPE,
    PROMPTS,
    ROLLBACK,
    UNKNOWN_ID,
    VERSIONS,
    assert_error,
    raw,
    send,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("stepping_clock")

# --------------------------------------------------------------------------------------------
# 413
# --------------------------------------------------------------------------------------------

BIG = b'{"name": "' + b"x" * 200 + b'", "template": "t"}'

BODY_OPERATIONS = [
    pytest.param("POST", CREATE, id="createPrompt"),
    pytest.param("PUT", ITEM, id="updatePrompt"),
    pytest.param("POST", VERSIONS, id="createPromptVersion"),
    pytest.param("POST", ROLLBACK, id="rollbackPrompt"),
]


@pytest.fixture
def small_prompt(small: TestClient) -> dict[str, Any]:
    response = small.post(PROMPTS, json={"name": "n", "template": "t"})
    assert response.status_code == 201
    data: dict[str, Any] = response.json()
    return data


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_body_over_limit_is_413_and_changes_nothing(
    small: TestClient, small_prompt: dict[str, Any], method: str, path: str
) -> None:
    before = snapshot(small)
    response = send(small, method, path, small_prompt["id"], **raw(BIG))
    assert_error(response, 413, param=None, details=[])
    assert snapshot(small) == before


def test_body_over_limit_streamed_without_length_is_413(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 10
        yield b'", "template": "t"}'

    response = small.post(PROMPTS, content=chunks(), headers=JSON_TYPE)
    assert "content-length" not in response.request.headers
    assert_error(response, 413)
    assert small.get(PROMPTS).json()["data"] == []


def test_body_exactly_at_limit_is_accepted(small: TestClient) -> None:
    head, tail = b'{"name": "n", "template": "', b'"}'
    body = head + b"x" * (100 - len(head) - len(tail)) + tail
    assert len(body) == 100
    response = small.post(PROMPTS, **raw(body))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(raw(b"x" * 200, "text/plain"), id="before-content-type"),
        pytest.param(raw(b"{" * 200), id="before-malformed-json"),
        pytest.param(raw(b'{"name": "' + b"x" * 300 + b'"}'), id="before-schema"),
    ],
)
def test_body_size_checked_before_content(small: TestClient, kwargs: dict[str, Any]) -> None:
    assert_error(small.post(PROMPTS, **kwargs), 413)


def test_body_size_checked_before_lookup(small: TestClient) -> None:
    response = small.put(f"{PROMPTS}/{UNKNOWN_ID}", **raw(BIG))
    assert_error(response, 413)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", CREATE, 200, id="listPrompts"),
        pytest.param("GET", ITEM, 200, id="getPrompt"),
        pytest.param("GET", VERSIONS, 200, id="listPromptVersions"),
        pytest.param("DELETE", ITEM, 200, id="deletePrompt"),
    ],
)
def test_body_on_bodiless_operation_is_never_read(
    small: TestClient, small_prompt: dict[str, Any], method: str, path: str, status: int
) -> None:
    response = send(
        small, method, path, small_prompt["id"], **raw(b"not json " * 100, "text/plain")
    )
    assert response.status_code == status, response.text
    if method == "DELETE":
        assert response.json() == {
            "id": small_prompt["id"],
            "object": "prompt.deleted",
            "deleted": True,
        }


# --------------------------------------------------------------------------------------------
# 415
# --------------------------------------------------------------------------------------------

VALID_BODIES = {
    CREATE: b'{"name": "n2", "template": "t"}',
    ITEM: b'{"name": "renamed"}',
    VERSIONS: b'{"template": "v3"}',
    ROLLBACK: b'{"version": 2}',
}


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
        pytest.param("application/xml", id="xml"),
        pytest.param(None, id="missing"),
    ],
)
def test_wrong_content_type_is_415_and_changes_nothing(
    client: TestClient,
    rolled_back_prompt: dict[str, Any],
    method: str,
    path: str,
    content_type: str | None,
) -> None:
    before = snapshot(client)
    headers = {"Content-Type": content_type} if content_type else {}
    content = VALID_BODIES[path]
    response = send(
        client, method, path, rolled_back_prompt["id"], content=content, headers=headers
    )
    assert "content-type" not in response.request.headers or content_type is not None
    assert_error(response, 415)
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("application/json; charset=utf-8", id="charset"),
        pytest.param("application/json;charset=UTF-8", id="charset-no-space"),
        pytest.param("Application/JSON", id="mixed-case"),
    ],
)
def test_json_content_type_with_parameters_is_accepted(
    client: TestClient, content_type: str
) -> None:
    response = client.post(PROMPTS, **raw(VALID_BODIES[CREATE], content_type))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("path", "content"),
    [
        pytest.param(CREATE, b"{", id="before-malformed-json"),
        pytest.param(CREATE, b"{}", id="before-schema"),
        pytest.param(ITEM, b'{"name": ""}', id="before-lookup"),
    ],
)
def test_content_type_checked_before_json_and_lookup(
    client: TestClient, path: str, content: bytes
) -> None:
    method = "PUT" if path == ITEM else "POST"
    response = send(client, method, path, UNKNOWN_ID, **raw(content, "text/plain"))
    assert_error(response, 415)


def test_no_body_at_all_is_400_not_415(client: TestClient) -> None:
    assert_error(client.post(PROMPTS), 400, param=None, locations=["body"])
