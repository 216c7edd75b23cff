"""Rejected requests: the documented 400 and error body for every bad input, checked in order
(validation before lookup), and no state change; and what is not an error (unknown fields,
integers written with an exponent, inclusive limits). 401, 413/415 and 404/405 have files of their
own (test_requests_*.py).

Every test runs on the shared in-process app with a stepping clock: any write a rejected request
sneaked through would show as a moved ``updated_at`` in the before/after ``snapshot``.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.helpers import (
    AUTH,
    CREATE,
    ITEM,
    MAX_SAFE,
    PROMPTS,
    ROLLBACK,
    SMILE,
    UNKNOWN_ID,
    VERSIONS,
    assert_error,
    raw,
    send,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("stepping_clock")


# --------------------------------------------------------------------------------------------
# 400: every bad input, with its param and locations, and no state change
# --------------------------------------------------------------------------------------------

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
    rolled_back_prompt: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    param: str | None,
    locations: list[str] | None,
) -> None:
    before = snapshot(client)
    response = send(client, method, path, rolled_back_prompt["id"], **kwargs)
    assert_error(response, 400, param=param, locations=locations)
    assert snapshot(client) == before


def test_unknown_after_is_404_naming_after(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    before = snapshot(client)
    response = client.get(PROMPTS, params={"after": UNKNOWN_ID})
    assert_error(response, 404, param="after", details=[])
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
    client: TestClient, rolled_back_prompt: dict[str, Any], content: bytes
) -> None:
    response = client.post(f"{PROMPTS}/{rolled_back_prompt['id']}/rollback", **raw(content))
    assert response.status_code == 200, response.text
    assert response.json()["active_version"] == 2
    assert client.get(f"{PROMPTS}/{rolled_back_prompt['id']}").json()["active_template"] == "v2"


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
    client: TestClient, rolled_back_prompt: dict[str, Any], path: str, kwargs: dict[str, Any]
) -> None:
    response = send(client, "GET", path, rolled_back_prompt["id"], **kwargs)
    assert_error(response, 404, param="version", details=[])


def test_rollback_to_max_safe_integer_is_404(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    before = snapshot(client)
    response = client.post(
        f"{PROMPTS}/{rolled_back_prompt['id']}/rollback", json={"version": MAX_SAFE}
    )
    assert_error(response, 404, param="version", details=[])
    assert snapshot(client) == before


# --------------------------------------------------------------------------------------------
# Text that is JSON but not Unicode: never a crash, never a half-done write
# --------------------------------------------------------------------------------------------


def test_lone_surrogate_in_body_is_400_and_changes_nothing(
    app: Starlette, client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    before = snapshot(client)
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as lenient:
        response = lenient.post(PROMPTS, **raw(b'{"name": "\\ud800", "template": "t"}'))
    assert_error(response, 400)
    assert snapshot(client) == before


def test_lone_surrogate_in_variables_is_400(
    app: Starlette, client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as lenient:
        response = lenient.get(
            f"{PROMPTS}/{rolled_back_prompt['id']}", params={"variables": '{"x": "\\ud800"}'}
        )
    assert_error(response, 400, param="variables")


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
    assert_error(response, 400, param=param)


def test_unknown_id_is_404_with_param_id(client: TestClient) -> None:
    response = client.get(f"{PROMPTS}/{UNKNOWN_ID}")
    assert_error(response, 404, param="id", details=[])


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
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    url = f"{PROMPTS}/{rolled_back_prompt['id']}"
    versions_before = client.get(f"{url}/versions").json()
    response = client.put(url, json={"template": "changed", "latest_version": 9, "name": "m"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "m"
    assert (updated["active_version"], updated["latest_version"]) == (1, 2)
    assert client.get(f"{url}/versions").json() == versions_before
    assert client.get(url).json()["active_template"] == "v1 {{x}}"


def test_update_with_only_unknown_fields_is_a_no_op(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    url = f"{PROMPTS}/{rolled_back_prompt['id']}"
    before = client.get(url).json()
    response = client.put(url, json={"template": "changed", "object": "x"})
    assert response.status_code == 200, response.text
    after = client.get(url).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_create_version_ignores_unknown_fields(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    response = client.post(
        f"{PROMPTS}/{rolled_back_prompt['id']}/versions",
        json={"template": "v3", "version": 10, "x": 1},
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 3
    assert "x" not in response.json()


def test_rollback_ignores_unknown_fields(
    client: TestClient, rolled_back_prompt: dict[str, Any]
) -> None:
    response = client.post(
        f"{PROMPTS}/{rolled_back_prompt['id']}/rollback",
        json={"version": 2, "latest_version": 1, "x": 1},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["active_version"], response.json()["latest_version"]) == (2, 2)
