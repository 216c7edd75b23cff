"""Rejected requests: the documented status and error body, checked in order, and no state change.

These tests share one app per module (building an app loads and checks the whole spec, which is
slow); the store is emptied before every test. A stepping clock means that any write a rejected
request sneaked through would show as a moved ``updated_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app

from .conftest import AUTH, PROMPTS

MAX_SAFE = 9007199254740991
UNKNOWN_ID = "prompt_" + "0" * 32
JSON_TYPE = {"Content-Type": "application/json"}
SMILE = "\U0001f600"  # one code point, two UTF-16 units, four UTF-8 bytes

# Phrases of jsonschema / openapi-core messages that a person should never have to read.
JARGON = (
    "is not of type",
    "is a required property",
    "is too long",
    "is too short",
    "is less than the minimum",
    "is greater than the maximum",
    "does not match",
    "is not one of",
    "is not valid under any",
    "additional properties",
    "failed validating",
    "schema",
    "$ref",
    "instance",
)


class StepClock:
    """UTC whole seconds; every reading is one second after the previous one."""

    def __init__(self) -> None:
        self.current = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)

    def now(self) -> datetime:
        moment = self.current
        self.current += timedelta(seconds=1)
        return moment


def _fresh(app: Starlette) -> Starlette:
    state: Session = app.state.session
    state.store.reset()
    state.violations.clear()
    return app


@pytest.fixture(scope="module")
def shared_app() -> Starlette:
    return create_app(clock=StepClock())


@pytest.fixture
def app(shared_app: Starlette) -> Starlette:
    """Overrides conftest's ``app``: the module's app, emptied."""
    return _fresh(shared_app)


@pytest.fixture(scope="module")
def small_app() -> Starlette:
    return create_app(Settings(max_body_size=100), clock=StepClock())


@pytest.fixture
def small(small_app: Starlette) -> Iterator[TestClient]:
    """A client of an app whose body limit is 100 bytes."""
    _fresh(small_app)
    with TestClient(small_app, headers=AUTH) as test_client:
        yield test_client
    assert list(small_app.state.session.violations) == []


@pytest.fixture(scope="module")
def keyed_app() -> Starlette:
    return create_app(Settings(api_keys=frozenset({"key-1", "key-2"})))


@pytest.fixture
def anonymous(app: Starlette, session: Session) -> Iterator[TestClient]:
    """A client of the same app that sends no Authorization header."""
    with TestClient(app) as test_client:
        yield test_client
    assert list(session.violations) == []


@pytest.fixture
def prompt(client: TestClient) -> dict[str, Any]:
    """A prompt with versions 1 and 2, rolled back to 1, with a description and metadata."""
    created = client.post(
        PROMPTS,
        json={"name": "n", "template": "v1 {{x}}", "description": "d", "metadata": {"k": 1}},
    ).json()
    prompt_id = created["id"]
    second = client.post(f"{PROMPTS}/{prompt_id}/versions", json={"template": "v2"})
    assert second.status_code == 201
    rolled = client.post(f"{PROMPTS}/{prompt_id}/rollback", json={"version": 1})
    assert rolled.status_code == 200
    data: dict[str, Any] = rolled.json()
    return data


def snapshot(client: TestClient) -> Any:
    """Everything the owner can see: the list, and each prompt with all its versions."""
    listing = client.get(PROMPTS, params={"limit": 100, "order": "asc"})
    assert listing.status_code == 200
    prompts = []
    for item in listing.json()["data"]:
        full = client.get(f"{PROMPTS}/{item['id']}")
        versions = client.get(f"{PROMPTS}/{item['id']}/versions", params={"limit": 100})
        prompts.append((full.json(), versions.json()))
    return listing.json(), prompts


def is_plain(message: str) -> bool:
    lowered = message.lower()
    return (
        bool(message)
        and not any(word in lowered for word in JARGON)
        and (re.search(r"[A-Z][a-z]+[A-Z]\w*Error", message) is None)
    )


def assert_error(
    response: Any, status: int, error_type: str, *, param: Any = ..., details: Any = ...
) -> dict[str, Any]:
    """The one error shape; ``param``/``details`` are checked only when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "code", "param", "details"}
    assert error["type"] == error_type
    assert error["code"] == status
    assert isinstance(error["message"], str) and error["message"]
    if param is not ...:
        assert error["param"] == param
    if details is not ...:
        assert error["details"] == details
    return error


def assert_400(response: Any, param: str | None, locations: list[str] | None) -> None:
    error = assert_error(response, 400, "invalid_request_error", param=param)
    if locations is not None:
        assert sorted(d["location"] for d in error["details"]) == sorted(locations)
    for detail in error["details"]:
        assert set(detail) == {"location", "message"}
        assert is_plain(detail["message"]), detail
    assert is_plain(error["message"]) or error["details"] == [], error["message"]


def raw(content: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"content": content, "headers": {"Content-Type": content_type}}


def send(client: TestClient, method: str, path: str, prompt_id: str, **kwargs: Any) -> Any:
    return client.request(method, PROMPTS + path.format(id=prompt_id), **kwargs)


# --------------------------------------------------------------------------------------------
# 400: every bad input, with its param and locations, and no state change
# --------------------------------------------------------------------------------------------

CREATE, ITEM = "", "/{id}"
VERSIONS, ROLLBACK = "/{id}/versions", "/{id}/rollback"

BAD_REQUESTS = [
    # createPrompt
    pytest.param("POST", CREATE, {"json": {"template": "t"}}, "name", ["body.name"],
                 id="create-missing-name"),
    pytest.param("POST", CREATE, {"json": {"name": "n"}}, "template", ["body.template"],
                 id="create-missing-template"),
    pytest.param("POST", CREATE, {"json": {}}, None, ["body.name", "body.template"],
                 id="create-missing-name-and-template"),
    pytest.param("POST", CREATE, {"json": {"name": "", "template": "t"}}, "name", ["body.name"],
                 id="create-empty-name"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": ""}}, "template",
                 ["body.template"], id="create-empty-template"),
    pytest.param("POST", CREATE, {"json": {"name": "x" * 256, "template": "t"}}, "name",
                 ["body.name"], id="create-name-256-chars"),
    pytest.param("POST", CREATE, {"json": {"name": SMILE * 256, "template": "t"}}, "name",
                 ["body.name"], id="create-name-256-code-points"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "x" * 100_001}}, "template",
                 ["body.template"], id="create-template-100001-chars"),
    pytest.param("POST", CREATE,
                 {"json": {"name": "n", "template": "t", "description": "x" * 2001}},
                 "description", ["body.description"], id="create-description-2001-chars"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "t", "description": None}},
                 "description", ["body.description"], id="create-description-null"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "t", "metadata": [1]}},
                 "metadata", ["body.metadata"], id="create-metadata-array"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "t", "metadata": "x"}},
                 "metadata", ["body.metadata"], id="create-metadata-string"),
    pytest.param("POST", CREATE, {"json": {"name": "n", "template": "t", "metadata": None}},
                 "metadata", ["body.metadata"], id="create-metadata-null"),
    pytest.param("POST", CREATE, {"json": {"name": 3, "template": 4}}, None,
                 ["body.name", "body.template"], id="create-name-and-template-not-strings"),
    pytest.param("POST", CREATE, raw(b'{"name":'), None, ["body"], id="create-malformed-json"),
    pytest.param("POST", CREATE, raw(b""), None, ["body"], id="create-empty-body"),
    pytest.param("POST", CREATE, {}, None, ["body"], id="create-no-body-no-content-type"),
    pytest.param("POST", CREATE, raw(b"[]"), None, ["body"], id="create-body-array"),
    pytest.param("POST", CREATE, raw(b"null"), None, ["body"], id="create-body-null"),
    pytest.param("POST", CREATE, raw(b'{"name":"n","template":"t","metadata":{"x":NaN}}'),
                 None, ["body"], id="create-nan-is-not-json"),
    # updatePrompt
    pytest.param("PUT", ITEM, {"json": {"name": ""}}, "name", ["body.name"],
                 id="update-empty-name"),
    pytest.param("PUT", ITEM, {"json": {"name": None}}, "name", ["body.name"],
                 id="update-null-name"),
    pytest.param("PUT", ITEM, {"json": {"name": "x" * 256}}, "name", ["body.name"],
                 id="update-name-256-chars"),
    pytest.param("PUT", ITEM, {"json": {"description": "x" * 2001}}, "description",
                 ["body.description"], id="update-description-2001-chars"),
    pytest.param("PUT", ITEM, {"json": {"description": 5}}, "description",
                 ["body.description"], id="update-description-number"),
    pytest.param("PUT", ITEM, {"json": {"metadata": [1]}}, "metadata", ["body.metadata"],
                 id="update-metadata-array"),
    pytest.param("PUT", ITEM, {"json": {"metadata": None}}, "metadata", ["body.metadata"],
                 id="update-metadata-null"),
    pytest.param("PUT", ITEM, {"json": {"name": "", "metadata": 1}}, None,
                 ["body.name", "body.metadata"], id="update-two-fields-bad"),
    pytest.param("PUT", ITEM, raw(b"{"), None, ["body"], id="update-malformed-json"),
    pytest.param("PUT", ITEM, raw(b""), None, ["body"], id="update-empty-body"),
    pytest.param("PUT", ITEM, raw(b"[]"), None, ["body"], id="update-body-array"),
    # createPromptVersion
    pytest.param("POST", VERSIONS, {"json": {}}, "template", ["body.template"],
                 id="version-missing-template"),
    pytest.param("POST", VERSIONS, {"json": {"template": ""}}, "template", ["body.template"],
                 id="version-empty-template"),
    pytest.param("POST", VERSIONS, {"json": {"template": "x" * 100_001}}, "template",
                 ["body.template"], id="version-template-100001-chars"),
    pytest.param("POST", VERSIONS, {"json": {"template": 7}}, "template", ["body.template"],
                 id="version-template-number"),
    pytest.param("POST", VERSIONS, raw(b'{"template": "x"'), None, ["body"],
                 id="version-malformed-json"),
    pytest.param("POST", VERSIONS, raw(b""), None, ["body"], id="version-empty-body"),
    # rollbackPrompt
    pytest.param("POST", ROLLBACK, {"json": {"version": 0}}, "version", ["body.version"],
                 id="rollback-version-0"),
    pytest.param("POST", ROLLBACK, {"json": {"version": -1}}, "version", ["body.version"],
                 id="rollback-version-negative"),
    pytest.param("POST", ROLLBACK, {"json": {"version": "2"}}, "version", ["body.version"],
                 id="rollback-version-string"),
    pytest.param("POST", ROLLBACK, {"json": {"version": 1.5}}, "version", ["body.version"],
                 id="rollback-version-fraction"),
    pytest.param("POST", ROLLBACK, {"json": {}}, "version", ["body.version"],
                 id="rollback-version-missing"),
    pytest.param("POST", ROLLBACK, {"json": {"version": True}}, "version", ["body.version"],
                 id="rollback-version-boolean"),
    pytest.param("POST", ROLLBACK, {"json": {"version": None}}, "version", ["body.version"],
                 id="rollback-version-null"),
    pytest.param("POST", ROLLBACK, {"json": {"version": MAX_SAFE + 1}}, "version",
                 ["body.version"], id="rollback-version-above-safe-integer"),
    pytest.param("POST", ROLLBACK, {"json": {"version": -MAX_SAFE - 1}}, "version",
                 ["body.version"], id="rollback-version-below-safe-integer"),
    pytest.param("POST", ROLLBACK, raw(b"{version: 1}"), None, ["body"],
                 id="rollback-malformed-json"),
    pytest.param("POST", ROLLBACK, raw(b""), None, ["body"], id="rollback-empty-body"),
    # listPrompts
    pytest.param("GET", CREATE, {"params": {"limit": "0"}}, "limit", ["query.limit"],
                 id="list-limit-0"),
    pytest.param("GET", CREATE, {"params": {"limit": "101"}}, "limit", ["query.limit"],
                 id="list-limit-101"),
    pytest.param("GET", CREATE, {"params": {"limit": "abc"}}, "limit", ["query.limit"],
                 id="list-limit-abc"),
    pytest.param("GET", CREATE, {"params": {"limit": ""}}, "limit", ["query.limit"],
                 id="list-limit-empty"),
    pytest.param("GET", CREATE, {"params": {"order": "up"}}, "order", ["query.order"],
                 id="list-order-bad"),
    pytest.param("GET", CREATE, {"params": {"limit": "0", "order": "up"}}, None,
                 ["query.limit", "query.order"], id="list-limit-and-order-bad"),
    pytest.param("GET", CREATE, {"params": {"after": ""}}, "after", ["query.after"],
                 id="list-after-empty"),
    pytest.param("GET", CREATE, {"params": {"after": "not-an-id"}}, "after", ["query.after"],
                 id="list-after-garbage"),
    pytest.param("GET", CREATE, {"params": {"after": "0"}}, "after", ["query.after"],
                 id="list-after-zero"),
    # listPromptVersions
    pytest.param("GET", VERSIONS, {"params": {"limit": "0"}}, "limit", ["query.limit"],
                 id="versions-limit-0"),
    pytest.param("GET", VERSIONS, {"params": {"limit": "101"}}, "limit", ["query.limit"],
                 id="versions-limit-101"),
    pytest.param("GET", VERSIONS, {"params": {"limit": "abc"}}, "limit", ["query.limit"],
                 id="versions-limit-abc"),
    pytest.param("GET", VERSIONS, {"params": {"order": "newest"}}, "order", ["query.order"],
                 id="versions-order-bad"),
    pytest.param("GET", VERSIONS, {"params": {"limit": "101", "order": "x"}}, None,
                 ["query.limit", "query.order"], id="versions-limit-and-order-bad"),
    # getPrompt
    pytest.param("GET", ITEM, {"params": {"version": "abc"}}, "version", ["query.version"],
                 id="get-version-abc"),
    pytest.param("GET", ITEM, {"params": {"version": "1.5"}}, "version", ["query.version"],
                 id="get-version-fraction"),
    pytest.param("GET", ITEM, {"params": {"version": str(MAX_SAFE + 1)}}, "version",
                 ["query.version"], id="get-version-above-safe-integer"),
    pytest.param("GET", ITEM, {"params": {"version": str(-MAX_SAFE - 1)}}, "version",
                 ["query.version"], id="get-version-below-safe-integer"),
    pytest.param("GET", ITEM, {"params": {"variables": "nope"}}, "variables",
                 ["query.variables"], id="get-variables-bad-json"),
    pytest.param("GET", ITEM, {"params": {"variables": ""}}, "variables", ["query.variables"],
                 id="get-variables-empty"),
    pytest.param("GET", ITEM, {"params": {"variables": "[1, 2]"}}, "variables",
                 ["query.variables"], id="get-variables-array"),
    pytest.param("GET", ITEM, {"params": {"variables": '"x"'}}, "variables",
                 ["query.variables"], id="get-variables-string"),
    pytest.param("GET", ITEM, {"params": {"variables": "3"}}, "variables", ["query.variables"],
                 id="get-variables-number"),
    pytest.param("GET", ITEM, {"params": {"variables": "null"}}, "variables",
                 ["query.variables"], id="get-variables-null"),
    pytest.param("GET", ITEM, {"params": {"variables": '{"x": NaN}'}}, "variables",
                 ["query.variables"], id="get-variables-nan-is-not-json"),
    pytest.param("GET", ITEM, {"params": {"variables": '{"x": -Infinity}'}}, "variables",
                 ["query.variables"], id="get-variables-infinity-is-not-json"),
    pytest.param("GET", ITEM, {"params": {"version": "x", "variables": "[]"}}, None,
                 ["query.version", "query.variables"], id="get-version-and-variables-bad"),
    # getPromptVersion
    pytest.param("GET", "/{id}/versions/abc", {}, "version", ["path.version"],
                 id="path-version-abc"),
    pytest.param("GET", "/{id}/versions/1.5", {}, "version", ["path.version"],
                 id="path-version-fraction"),
    pytest.param("GET", f"/{{id}}/versions/{MAX_SAFE + 1}", {}, "version", ["path.version"],
                 id="path-version-above-safe-integer"),
    pytest.param("GET", f"/{{id}}/versions/{-MAX_SAFE - 1}", {}, "version", ["path.version"],
                 id="path-version-below-safe-integer"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "kwargs", "param", "locations"), BAD_REQUESTS)
def test_bad_request_is_400_and_changes_nothing(
    client: TestClient,
    prompt: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    param: str | None,
    locations: list[str] | None,
) -> None:
    before = snapshot(client)
    response = send(client, method, path, prompt["id"], **kwargs)
    assert_400(response, param, locations)
    assert snapshot(client) == before


def test_unknown_after_is_404_naming_after(client: TestClient, prompt: dict[str, Any]) -> None:
    before = snapshot(client)
    response = client.get(PROMPTS, params={"after": UNKNOWN_ID})
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["param"], error["details"]) == ("not_found_error", "after", [])
    assert snapshot(client) == before


def test_bad_request_message_lists_each_failure(client: TestClient) -> None:
    error = client.post(PROMPTS, json={}).json()["error"]
    assert "body.name" in error["message"] and "body.template" in error["message"]
    assert {d["message"] for d in error["details"]} == {"is required"}


def test_bad_request_length_message_counts_code_points(client: TestClient) -> None:
    error = client.post(PROMPTS, json={"name": SMILE * 256, "template": "t"}).json()["error"]
    assert error["details"] == [
        {"location": "body.name", "message": "must be at most 255 characters long (it has 256)"}
    ]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"name": "x" * 255}, id="name-255-chars"),
        pytest.param({"name": SMILE * 255}, id="name-255-code-points"),
        pytest.param({"template": "x" * 100_000}, id="template-100000-chars"),
        pytest.param({"template": SMILE * 100_000}, id="template-100000-code-points"),
        pytest.param({"description": "x" * 2000}, id="description-2000-chars"),
        pytest.param({"description": ""}, id="description-empty"),
        pytest.param({"metadata": {}}, id="metadata-empty"),
    ],
)
def test_limits_inclusive_bounds_are_accepted(client: TestClient, fields: dict[str, Any]) -> None:
    body = {"name": "n", "template": "t"} | fields
    response = client.post(PROMPTS, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    for key in ("name", "description", "metadata"):
        if key in fields:
            assert created[key] == fields[key]
    if "template" in fields:
        assert created["version"]["template"] == fields["template"]


# --------------------------------------------------------------------------------------------
# Integers: JSON numbers without a fraction are integers; the safe-integer bounds are inclusive
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"version": 2.0}', id="two-point-zero"),
        pytest.param(b'{"version": 2e0}', id="exponent-form"),
        pytest.param(b'{"version": 20E-1}', id="negative-exponent"),
    ],
)
def test_rollback_version_without_fraction_is_integer(
    client: TestClient, prompt: dict[str, Any], content: bytes
) -> None:
    response = client.post(f"{PROMPTS}/{prompt['id']}/rollback", **raw(content))
    assert response.status_code == 200, response.text
    assert response.json()["active_version"] == 2
    assert client.get(f"{PROMPTS}/{prompt['id']}").json()["active_template"] == "v2"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        pytest.param("/{id}", {"params": {"version": str(MAX_SAFE)}}, id="query-version-max"),
        pytest.param("/{id}", {"params": {"version": str(-MAX_SAFE)}}, id="query-version-min"),
        pytest.param(f"/{{id}}/versions/{MAX_SAFE}", {}, id="path-version-max"),
        pytest.param(f"/{{id}}/versions/{-MAX_SAFE}", {}, id="path-version-min"),
    ],
)
def test_safe_integer_bounds_are_valid_but_not_found(
    client: TestClient, prompt: dict[str, Any], path: str, kwargs: dict[str, Any]
) -> None:
    response = send(client, "GET", path, prompt["id"], **kwargs)
    assert_error(response, 404, "not_found_error", param="version", details=[])


def test_rollback_to_max_safe_integer_is_404(client: TestClient, prompt: dict[str, Any]) -> None:
    before = snapshot(client)
    response = client.post(f"{PROMPTS}/{prompt['id']}/rollback", json={"version": MAX_SAFE})
    assert_error(response, 404, "not_found_error", param="version", details=[])
    assert snapshot(client) == before


# --------------------------------------------------------------------------------------------
# Text that is JSON but not Unicode: never a crash, never a half-done write
# --------------------------------------------------------------------------------------------


def test_lone_surrogate_in_body_is_400_and_changes_nothing(
    app: Starlette, client: TestClient, prompt: dict[str, Any]
) -> None:
    before = snapshot(client)
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as lenient:
        response = lenient.post(PROMPTS, **raw(b'{"name": "\\ud800", "template": "t"}'))
    assert_error(response, 400, "invalid_request_error")
    assert snapshot(client) == before


def test_lone_surrogate_in_variables_is_400(
    app: Starlette, client: TestClient, prompt: dict[str, Any]
) -> None:
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as lenient:
        response = lenient.get(
            f"{PROMPTS}/{prompt['id']}", params={"variables": '{"x": "\\ud800"}'}
        )
    assert_error(response, 400, "invalid_request_error", param="variables")


# --------------------------------------------------------------------------------------------
# Validation comes before lookup: a bad request on an unknown ID is 400, not 404
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "param"),
    [
        pytest.param("PUT", ITEM, {"json": {"name": ""}}, "name", id="update-bad-name"),
        pytest.param("PUT", ITEM, raw(b"{"), None, id="update-malformed-json"),
        pytest.param("POST", VERSIONS, {"json": {}}, "template", id="version-missing-template"),
        pytest.param("POST", ROLLBACK, {"json": {"version": 0}}, "version", id="rollback-0"),
        pytest.param("GET", ITEM, {"params": {"variables": "[]"}}, "variables",
                     id="get-variables-array"),
        pytest.param("GET", ITEM, {"params": {"version": "x"}}, "version", id="get-version-abc"),
        pytest.param("GET", VERSIONS, {"params": {"limit": "0"}}, "limit",
                     id="versions-limit-0"),
        pytest.param("GET", "/{id}/versions/abc", {}, "version", id="path-version-abc"),
    ],
)  # fmt: skip
def test_validation_before_lookup_on_unknown_id(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], param: str | None
) -> None:
    response = send(client, method, path, UNKNOWN_ID, **kwargs)
    assert_400(response, param, None)


def test_unknown_id_is_404_with_param_id(client: TestClient) -> None:
    response = client.get(f"{PROMPTS}/{UNKNOWN_ID}")
    assert_error(response, 404, "not_found_error", param="id", details=[])


# --------------------------------------------------------------------------------------------
# Fields a body schema does not name are ignored
# --------------------------------------------------------------------------------------------


def test_create_ignores_unknown_fields(client: TestClient) -> None:
    body = {
        "name": "n",
        "template": "t",
        "id": UNKNOWN_ID,
        "object": "nonsense",
        "active_version": 7,
        "latest_version": 7,
        "extra": {"deep": [1]},
    }
    response = client.post(PROMPTS, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"] != UNKNOWN_ID
    assert created["object"] == "prompt"
    assert (created["active_version"], created["latest_version"]) == (1, 1)
    assert "extra" not in created


def test_update_ignores_template_and_never_makes_a_version(
    client: TestClient, prompt: dict[str, Any]
) -> None:
    url = f"{PROMPTS}/{prompt['id']}"
    versions_before = client.get(f"{url}/versions").json()
    response = client.put(url, json={"template": "changed", "latest_version": 9, "name": "m"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "m"
    assert (updated["active_version"], updated["latest_version"]) == (1, 2)
    assert client.get(f"{url}/versions").json() == versions_before
    assert client.get(url).json()["active_template"] == "v1 {{x}}"


def test_update_with_only_unknown_fields_is_a_no_op(
    client: TestClient, prompt: dict[str, Any]
) -> None:
    url = f"{PROMPTS}/{prompt['id']}"
    before = client.get(url).json()
    response = client.put(url, json={"template": "changed", "object": "x"})
    assert response.status_code == 200, response.text
    after = client.get(url).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_create_version_ignores_unknown_fields(client: TestClient, prompt: dict[str, Any]) -> None:
    response = client.post(
        f"{PROMPTS}/{prompt['id']}/versions", json={"template": "v3", "version": 10, "x": 1}
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 3
    assert "x" not in response.json()


def test_rollback_ignores_unknown_fields(client: TestClient, prompt: dict[str, Any]) -> None:
    response = client.post(
        f"{PROMPTS}/{prompt['id']}/rollback", json={"version": 2, "latest_version": 1, "x": 1}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["active_version"], response.json()["latest_version"]) == (2, 2)


# --------------------------------------------------------------------------------------------
# 401
# --------------------------------------------------------------------------------------------

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
    prompt: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    before = snapshot(client)
    response = send(anonymous, method, path, prompt["id"], **kwargs)
    error = assert_error(response, 401, "authentication_error")
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
    error = assert_error(response, 401, "authentication_error")
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
    assert_error(response, 401, "authentication_error")
    assert list(session.store) == []


def test_auth_is_checked_before_body_size(small_app: Starlette) -> None:
    _fresh(small_app)
    with TestClient(small_app) as anonymous:
        response = anonymous.post(PROMPTS, **raw(b'{"name": "' + b"x" * 500 + b'"}'))
    assert_error(response, 401, "authentication_error")
    assert list(small_app.state.session.store) == []


@pytest.mark.parametrize(
    ("token", "status"),
    [
        pytest.param("key-1", 200, id="first-key"),
        pytest.param("key-2", 200, id="second-key"),
        pytest.param("key-3", 401, id="unknown-key"),
        pytest.param("KEY-1", 401, id="keys-are-case-sensitive"),
    ],
)
def test_auth_api_keys_restrict_tokens(keyed_app: Starlette, token: str, status: int) -> None:
    with TestClient(keyed_app) as anonymous:
        response = anonymous.get(PROMPTS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    if status == 401:
        assert_error(response, 401, "authentication_error")


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
    assert_error(response, 413, "request_too_large_error", param=None, details=[])
    assert snapshot(small) == before


def test_body_over_limit_streamed_without_length_is_413(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 10
        yield b'", "template": "t"}'

    response = small.post(PROMPTS, content=chunks(), headers=JSON_TYPE)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "request_too_large_error")
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
    assert_error(small.post(PROMPTS, **kwargs), 413, "request_too_large_error")


def test_body_size_checked_before_lookup(small: TestClient) -> None:
    response = small.put(f"{PROMPTS}/{UNKNOWN_ID}", **raw(BIG))
    assert_error(response, 413, "request_too_large_error")


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
    prompt: dict[str, Any],
    method: str,
    path: str,
    content_type: str | None,
) -> None:
    before = snapshot(client)
    headers = {"Content-Type": content_type} if content_type else {}
    content = VALID_BODIES[path]
    response = send(client, method, path, prompt["id"], content=content, headers=headers)
    assert "content-type" not in response.request.headers or content_type is not None
    assert_error(response, 415, "unsupported_media_type_error")
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
    assert_error(response, 415, "unsupported_media_type_error")


def test_no_body_at_all_is_400_not_415(client: TestClient) -> None:
    assert_400(client.post(PROMPTS), None, ["body"])


# --------------------------------------------------------------------------------------------
# 404 and 405
# --------------------------------------------------------------------------------------------


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
    assert_error(response, 404, "not_found_error", param=None, details=[])


def test_trailing_slash_on_real_prompt_is_404(client: TestClient, prompt: dict[str, Any]) -> None:
    response = client.get(f"{PROMPTS}/{prompt['id']}/", follow_redirects=False)
    assert_error(response, 404, "not_found_error", param=None, details=[])


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
    client: TestClient, prompt: dict[str, Any], method: str, path: str, allow: set[str]
) -> None:
    before = snapshot(client)
    response = send(client, method, path, prompt["id"], json={"version": 2, "name": "m"})
    assert_error(response, 405, "method_not_allowed_error", param=None, details=[])
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow
    assert snapshot(client) == before
