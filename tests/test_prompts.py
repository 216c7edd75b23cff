"""The nine Prompts operations in-process: shapes, versioning, tenancy, pagination, time.

One app per module with a clock the tests control (building an app is slow); the store is emptied
and the clock rewound before every test. The clock moves only when a test calls ``clock.tick()``,
however often the mock reads it, so every write lands at a timestamp the test knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app

from .conftest import AUTH, PROMPTS, SDK_OPERATIONS

START = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)
PROMPT_ID = re.compile(r"^prompt_[0-9a-f]{32}$")
VERSION_ID = re.compile(r"^pver_[0-9a-f]{32}$")
UNKNOWN_ID = "prompt_" + "0" * 32
PROMPT_KEYS = {
    "id",
    "object",
    "name",
    "active_version",
    "latest_version",
    "metadata",
    "created_at",
    "updated_at",
}
VERSION_KEYS = {"id", "prompt_id", "version", "object", "template", "created_at"}


class TickClock:
    """UTC, whole seconds; stands still until a test steps it with ``tick()``."""

    def __init__(self) -> None:
        self.rewind()

    def rewind(self) -> None:
        self.current = START

    def tick(self, seconds: int = 1) -> None:
        self.current += timedelta(seconds=seconds)

    def now(self) -> datetime:
        return self.current


def at(seconds: int) -> str:
    """The timestamp ``seconds`` ticks after the start."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def shared() -> tuple[Starlette, TickClock]:
    clock = TickClock()
    return create_app(clock=clock), clock


@pytest.fixture
def clock(shared: tuple[Starlette, TickClock]) -> TickClock:
    shared[1].rewind()
    return shared[1]


@pytest.fixture
def app(shared: tuple[Starlette, TickClock], clock: TickClock) -> Starlette:
    """Overrides conftest's ``app``: the module's app, emptied, with its clock rewound."""
    state: Session = shared[0].state.session
    state.store.reset()
    state.violations.clear()
    return shared[0]


def url(prompt_id: str, suffix: str = "") -> str:
    return f"{PROMPTS}/{prompt_id}{suffix}"


def versions_of(client: TestClient, prompt_id: str, **params: Any) -> list[int]:
    response = client.get(url(prompt_id, "/versions"), params=params)
    assert response.status_code == 200, response.text
    return [v["version"] for v in response.json()["data"]]


def ids_of(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> list[str]:
    response = client.get(PROMPTS, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["data"]]


def assert_not_found(response: Any, param: str) -> None:
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["type"] == "not_found_error"
    assert error["code"] == 404
    assert error["param"] == param
    assert error["details"] == []


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


# --------------------------------------------------------------------------------------------
# createPrompt
# --------------------------------------------------------------------------------------------


def test_create_returns_201_prompt_with_first_version(client: TestClient) -> None:
    response = client.post(PROMPTS, json={"name": "greeting", "template": "Hello, {{name}}!"})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    created = response.json()
    assert set(created) == PROMPT_KEYS | {"version"}
    assert PROMPT_ID.match(created["id"])
    assert created["object"] == "prompt"
    assert created["name"] == "greeting"
    assert (created["active_version"], created["latest_version"]) == (1, 1)
    assert created["metadata"] == {}
    assert created["created_at"] == created["updated_at"] == at(0)
    version = created["version"]
    assert set(version) == VERSION_KEYS
    assert VERSION_ID.match(version["id"])
    assert version["prompt_id"] == created["id"]
    assert version["version"] == 1
    assert version["object"] == "prompt.version"
    assert version["template"] == "Hello, {{name}}!"
    assert version["created_at"] == at(0)


def test_create_omits_description_when_unset(client: TestClient, make_prompt: Any) -> None:
    created = make_prompt()
    assert "description" not in created
    assert "description" not in client.get(url(created["id"])).json()
    assert "description" not in client.get(PROMPTS).json()["data"][0]


def test_create_keeps_description_and_metadata(client: TestClient, make_prompt: Any) -> None:
    metadata = {"team": "onboarding", "reviewed": True, "n": 1.5, "nested": {"a": [1, None]}}
    created = make_prompt(description="A greeting", metadata=metadata)
    assert created["description"] == "A greeting"
    assert created["metadata"] == metadata
    fetched = client.get(url(created["id"])).json()
    assert (fetched["description"], fetched["metadata"]) == ("A greeting", metadata)


def test_create_ids_are_unique(make_prompt: Any) -> None:
    created = [make_prompt(name=f"p{i}") for i in range(5)]
    ids = {p["id"] for p in created} | {p["version"]["id"] for p in created}
    assert len(ids) == 10


def test_create_keeps_unicode_text(client: TestClient, make_prompt: Any) -> None:
    created = make_prompt(name="Gr\u00fc\u00dfe \U0001f600", template="\u4f60\u597d {{\u540d}}")
    fetched = client.get(url(created["id"]), params={"variables": '{"\u540d": "\u00e9"}'}).json()
    assert fetched["name"] == "Gr\u00fc\u00dfe \U0001f600"
    assert fetched["rendered_template"] == "\u4f60\u597d \u00e9"


# --------------------------------------------------------------------------------------------
# getPrompt
# --------------------------------------------------------------------------------------------


def test_get_returns_prompt_with_active_template(client: TestClient, make_prompt: Any) -> None:
    created = make_prompt(description="d")
    response = client.get(url(created["id"]))
    assert response.status_code == 200
    fetched = response.json()
    assert set(fetched) == PROMPT_KEYS | {"description", "active_template"}
    assert fetched["active_template"] == "Hello, {{name}}!"
    assert without(fetched, "active_template") == without(created, "version")


def test_get_with_version_selects_template_but_not_active_version(
    client: TestClient, make_prompt: Any
) -> None:
    prompt_id = make_prompt(template="one {{x}}")["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "two {{x}}"})
    client.post(url(prompt_id, "/versions"), json={"template": "three {{x}}"})
    client.post(url(prompt_id, "/rollback"), json={"version": 2})
    for number, text in [(1, "one"), (2, "two"), (3, "three")]:
        fetched = client.get(url(prompt_id), params={"version": number}).json()
        assert fetched["active_template"] == f"{text} {{{{x}}}}"
        assert (fetched["active_version"], fetched["latest_version"]) == (2, 3)
    assert client.get(url(prompt_id)).json()["active_template"] == "two {{x}}"


@pytest.mark.parametrize(
    "version",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(3, id="above-latest"),
        pytest.param(1000, id="far-above-latest"),
    ],
)
def test_get_with_missing_version_is_404_version(
    client: TestClient, make_prompt: Any, version: int
) -> None:
    prompt_id = make_prompt()["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "two"})
    assert_not_found(client.get(url(prompt_id), params={"version": version}), "version")


def test_get_unknown_id_is_404_id(client: TestClient) -> None:
    response = client.get(url(UNKNOWN_ID))
    assert_not_found(response, "id")
    assert UNKNOWN_ID in response.json()["error"]["message"]


def test_get_without_variables_has_no_rendered_template(
    client: TestClient, make_prompt: Any
) -> None:
    fetched = client.get(url(make_prompt()["id"])).json()
    assert "rendered_template" not in fetched


def test_get_with_variables_renders(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt(template="Hello, {{name}}! Welcome to {{company}}.")["id"]
    variables = json.dumps({"name": "Alice", "company": "Acme"})
    fetched = client.get(url(prompt_id), params={"variables": variables}).json()
    assert fetched["rendered_template"] == "Hello, Alice! Welcome to Acme."
    assert fetched["active_template"] == "Hello, {{name}}! Welcome to {{company}}."


def test_get_with_empty_variables_still_has_rendered_template(
    client: TestClient, make_prompt: Any
) -> None:
    prompt_id = make_prompt(template="Hi {{name}} {{ name }}")["id"]
    fetched = client.get(url(prompt_id), params={"variables": "{}"}).json()
    assert fetched["rendered_template"] == "Hi {{name}} {{ name }}"


def test_get_renders_the_requested_version(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt(template="v1 {{x}}")["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "v2 {{x}}"})
    fetched = client.get(url(prompt_id), params={"version": 1, "variables": '{"x": "!"}'}).json()
    assert (fetched["active_template"], fetched["rendered_template"]) == ("v1 {{x}}", "v1 !")
    assert fetched["active_version"] == 2


def test_get_renders_rules_end_to_end(client: TestClient, make_prompt: Any) -> None:
    template = "{{n}}|{{b}}|{{z}}|{{o}}|{{l}}|{{ s }}|{{s}}|{{missing}}|{{inject}}"
    prompt_id = make_prompt(template=template)["id"]
    variables = {
        "n": 3,
        "b": True,
        "z": None,
        "o": {"a": 1},
        "l": [1, 2],
        " s ": "spaced",
        "s": "plain",
        "inject": "{{s}}",
    }
    fetched = client.get(url(prompt_id), params={"variables": json.dumps(variables)}).json()
    assert fetched["rendered_template"] == (
        '3|true|null|{"a":1}|[1,2]|spaced|plain|{{missing}}|{{s}}'
    )


def test_get_does_not_change_the_prompt(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    before = client.get(url(prompt_id)).json()
    client.get(url(prompt_id), params={"version": 1, "variables": '{"name": "x"}'})
    assert client.get(url(prompt_id)).json() == before


# --------------------------------------------------------------------------------------------
# updatePrompt
# --------------------------------------------------------------------------------------------


def test_update_is_partial(client: TestClient, make_prompt: Any) -> None:
    created = make_prompt(description="d", metadata={"k": "v"})
    response = client.put(url(created["id"]), json={"name": "renamed"})
    assert response.status_code == 200
    updated = response.json()
    assert set(updated) == PROMPT_KEYS | {"description"}
    assert updated["name"] == "renamed"
    assert (updated["description"], updated["metadata"]) == ("d", {"k": "v"})
    assert without(updated, "name", "updated_at") == without(
        created, "name", "updated_at", "version"
    )


def test_update_sets_each_field(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    body = {"name": "n2", "description": "new", "metadata": {"reviewed": True}}
    updated = client.put(url(prompt_id), json=body).json()
    assert (updated["name"], updated["description"], updated["metadata"]) == (
        "n2",
        "new",
        {"reviewed": True},
    )
    assert without(client.get(url(prompt_id)).json(), "active_template") == updated


def test_update_null_description_clears_it(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt(description="to be cleared")["id"]
    updated = client.put(url(prompt_id), json={"description": None}).json()
    assert "description" not in updated
    assert "description" not in client.get(url(prompt_id)).json()
    assert "description" not in client.get(PROMPTS).json()["data"][0]


def test_update_null_description_when_unset_is_fine(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    response = client.put(url(prompt_id), json={"description": None})
    assert response.status_code == 200
    assert "description" not in response.json()


def test_update_metadata_replaces_not_merges(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt(metadata={"a": 1, "b": {"c": 2}})["id"]
    updated = client.put(url(prompt_id), json={"metadata": {"b": {"d": 3}}}).json()
    assert updated["metadata"] == {"b": {"d": 3}}
    cleared = client.put(url(prompt_id), json={"metadata": {}}).json()
    assert cleared["metadata"] == {}
    assert client.get(url(prompt_id)).json()["metadata"] == {}


def test_update_empty_body_is_a_no_op(
    client: TestClient, clock: TickClock, make_prompt: Any
) -> None:
    created = make_prompt(description="d", metadata={"k": 1})
    clock.tick()
    response = client.put(url(created["id"]), json={})
    assert response.status_code == 200
    updated = response.json()
    assert without(updated, "updated_at") == without(created, "updated_at", "version")
    assert updated["updated_at"] == at(1)


def test_update_moves_updated_at_only(
    client: TestClient, clock: TickClock, make_prompt: Any
) -> None:
    created = make_prompt()
    clock.tick()
    first = client.put(url(created["id"]), json={"name": "a"}).json()
    clock.tick()
    second = client.put(url(created["id"]), json={"name": "b"}).json()
    assert created["created_at"] == first["created_at"] == second["created_at"] == at(0)
    assert (first["updated_at"], second["updated_at"]) == (at(1), at(2))


def test_update_never_makes_a_version(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    client.put(url(prompt_id), json={"name": "x", "description": "y", "metadata": {"z": 1}})
    fetched = client.get(url(prompt_id)).json()
    assert (fetched["active_version"], fetched["latest_version"]) == (1, 1)
    assert fetched["active_template"] == "Hello, {{name}}!"
    assert versions_of(client, prompt_id) == [1]


def test_update_unknown_id_is_404_id(client: TestClient) -> None:
    assert_not_found(client.put(url(UNKNOWN_ID), json={"name": "x"}), "id")


# --------------------------------------------------------------------------------------------
# deletePrompt
# --------------------------------------------------------------------------------------------


def test_delete_returns_confirmation(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    response = client.delete(url(prompt_id))
    assert response.status_code == 200
    assert response.json() == {"id": prompt_id, "object": "prompt.deleted", "deleted": True}


ID_OPERATIONS = [
    pytest.param("GET", "", {}, id="getPrompt"),
    pytest.param("GET", "", {"params": {"version": 1}}, id="getPrompt-version"),
    pytest.param("PUT", "", {"json": {"name": "x"}}, id="updatePrompt"),
    pytest.param("DELETE", "", {}, id="deletePrompt"),
    pytest.param("POST", "/versions", {"json": {"template": "t"}}, id="createPromptVersion"),
    pytest.param("GET", "/versions", {}, id="listPromptVersions"),
    pytest.param("GET", "/versions/1", {}, id="getPromptVersion"),
    pytest.param("POST", "/rollback", {"json": {"version": 1}}, id="rollbackPrompt"),
]


@pytest.mark.parametrize(("method", "suffix", "kwargs"), ID_OPERATIONS)
def test_delete_then_every_operation_is_404_id(
    client: TestClient, make_prompt: Any, method: str, suffix: str, kwargs: dict[str, Any]
) -> None:
    prompt_id = make_prompt()["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "two"})
    assert client.delete(url(prompt_id)).status_code == 200
    assert_not_found(client.request(method, url(prompt_id, suffix), **kwargs), "id")


def test_delete_removes_from_lists_only_that_prompt(client: TestClient, make_prompt: Any) -> None:
    first, second, third = (make_prompt(name=n)["id"] for n in "abc")
    client.delete(url(second))
    assert ids_of(client, order="asc") == [first, third]
    assert ids_of(client, order="desc") == [third, first]
    assert client.get(url(first)).status_code == 200
    assert client.get(url(third)).status_code == 200


def test_delete_unknown_id_is_404_id(client: TestClient) -> None:
    assert_not_found(client.delete(url(UNKNOWN_ID)), "id")


# --------------------------------------------------------------------------------------------
# createPromptVersion
# --------------------------------------------------------------------------------------------


def test_create_version_is_latest_plus_one_and_active(
    client: TestClient, clock: TickClock, make_prompt: Any
) -> None:
    created = make_prompt()
    clock.tick()
    response = client.post(url(created["id"], "/versions"), json={"template": "v2 {{x}}"})
    assert response.status_code == 201
    version = response.json()
    assert set(version) == VERSION_KEYS
    assert VERSION_ID.match(version["id"]) and version["id"] != created["version"]["id"]
    assert version["prompt_id"] == created["id"]
    assert (version["version"], version["object"]) == (2, "prompt.version")
    assert version["template"] == "v2 {{x}}"
    assert version["created_at"] == at(1)
    fetched = client.get(url(created["id"])).json()
    assert (fetched["active_version"], fetched["latest_version"]) == (2, 2)
    assert fetched["active_template"] == "v2 {{x}}"
    assert fetched["created_at"] == at(0)
    assert fetched["updated_at"] == at(1)


def test_create_version_after_rollback_activates_new_latest(
    client: TestClient, make_prompt: Any
) -> None:
    prompt_id = make_prompt()["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "v2"})
    client.post(url(prompt_id, "/rollback"), json={"version": 1})
    version = client.post(url(prompt_id, "/versions"), json={"template": "v3"}).json()
    assert version["version"] == 3
    fetched = client.get(url(prompt_id)).json()
    assert (fetched["active_version"], fetched["latest_version"]) == (3, 3)
    assert fetched["active_template"] == "v3"


def test_create_version_identical_template_is_new_version(
    client: TestClient, make_prompt: Any
) -> None:
    created = make_prompt(template="same")
    again = client.post(url(created["id"], "/versions"), json={"template": "same"}).json()
    assert again["version"] == 2
    assert again["id"] != created["version"]["id"]
    assert versions_of(client, created["id"], order="asc") == [1, 2]


def test_versions_keep_their_own_created_at(
    client: TestClient, clock: TickClock, make_prompt: Any
) -> None:
    prompt_id = make_prompt()["id"]
    clock.tick()
    client.post(url(prompt_id, "/versions"), json={"template": "v2"})
    clock.tick()
    client.put(url(prompt_id), json={"name": "x"})
    clock.tick()
    client.post(url(prompt_id, "/versions"), json={"template": "v3"})
    data = client.get(url(prompt_id, "/versions"), params={"order": "asc"}).json()["data"]
    assert [v["created_at"] for v in data] == [at(0), at(1), at(3)]


# --------------------------------------------------------------------------------------------
# listPromptVersions and getPromptVersion
# --------------------------------------------------------------------------------------------


@pytest.fixture
def four_versions(client: TestClient, clock: TickClock, make_prompt: Any) -> str:
    """A prompt with versions 1..4 made one second apart (the last at ``at(3)``)."""
    prompt_id: str = make_prompt(template="t1")["id"]
    for n in (2, 3, 4):
        clock.tick()
        client.post(url(prompt_id, "/versions"), json={"template": f"t{n}"})
    return prompt_id


def test_list_versions_shape_has_no_cursor_fields(client: TestClient, four_versions: str) -> None:
    response = client.get(url(four_versions, "/versions"))
    assert response.status_code == 200
    listing = response.json()
    assert set(listing) == {"object", "data"}
    assert listing["object"] == "list"
    for version in listing["data"]:
        assert set(version) == VERSION_KEYS
        assert version["prompt_id"] == four_versions
        assert version["template"] == f"t{version['version']}"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, [4, 3, 2, 1], id="default-desc"),
        pytest.param({"order": "desc"}, [4, 3, 2, 1], id="desc"),
        pytest.param({"order": "asc"}, [1, 2, 3, 4], id="asc"),
        pytest.param({"limit": 2}, [4, 3], id="limit-desc"),
        pytest.param({"limit": 2, "order": "asc"}, [1, 2], id="limit-asc"),
        pytest.param({"limit": 1}, [4], id="limit-1"),
        pytest.param({"limit": 4}, [4, 3, 2, 1], id="limit-equal"),
        pytest.param({"limit": 100}, [4, 3, 2, 1], id="limit-above"),
    ],
)
def test_list_versions_order_and_limit(
    client: TestClient, four_versions: str, params: dict[str, Any], expected: list[int]
) -> None:
    assert versions_of(client, four_versions, **params) == expected


def test_list_versions_default_limit_is_20(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt()["id"]
    for n in range(2, 23):
        client.post(url(prompt_id, "/versions"), json={"template": f"t{n}"})
    assert versions_of(client, prompt_id) == list(range(22, 2, -1))
    assert versions_of(client, prompt_id, order="asc") == list(range(1, 21))


def test_list_versions_unaffected_by_rollback(client: TestClient, four_versions: str) -> None:
    client.post(url(four_versions, "/rollback"), json={"version": 2})
    assert versions_of(client, four_versions) == [4, 3, 2, 1]


def test_get_version_matches_list_entry(client: TestClient, four_versions: str) -> None:
    listed = client.get(url(four_versions, "/versions")).json()["data"]
    for entry in listed:
        response = client.get(url(four_versions, f"/versions/{entry['version']}"))
        assert response.status_code == 200
        assert response.json() == entry


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(5, id="above-latest"),
    ],
)
def test_get_version_missing_is_404_version(
    client: TestClient, four_versions: str, number: int
) -> None:
    assert_not_found(client.get(url(four_versions, f"/versions/{number}")), "version")


def test_get_version_of_unknown_prompt_is_404_id(client: TestClient) -> None:
    assert_not_found(client.get(url(UNKNOWN_ID, "/versions/1")), "id")
    assert_not_found(client.get(url(UNKNOWN_ID, "/versions")), "id")


# --------------------------------------------------------------------------------------------
# rollbackPrompt
# --------------------------------------------------------------------------------------------


def test_rollback_back_and_forward(client: TestClient, four_versions: str) -> None:
    back = client.post(url(four_versions, "/rollback"), json={"version": 1})
    assert back.status_code == 200
    assert set(back.json()) == PROMPT_KEYS
    assert (back.json()["active_version"], back.json()["latest_version"]) == (1, 4)
    assert client.get(url(four_versions)).json()["active_template"] == "t1"
    forward = client.post(url(four_versions, "/rollback"), json={"version": 3}).json()
    assert (forward["active_version"], forward["latest_version"]) == (3, 4)
    assert client.get(url(four_versions)).json()["active_template"] == "t3"


def test_rollback_moves_updated_at_not_created_at(
    client: TestClient, clock: TickClock, four_versions: str
) -> None:
    clock.tick()
    rolled = client.post(url(four_versions, "/rollback"), json={"version": 2}).json()
    assert rolled["created_at"] == at(0)
    assert rolled["updated_at"] == at(4)


def test_rollback_to_active_version_changes_only_updated_at(
    client: TestClient, clock: TickClock, four_versions: str
) -> None:
    before = client.get(url(four_versions)).json()
    clock.tick()
    response = client.post(url(four_versions, "/rollback"), json={"version": 4})
    assert response.status_code == 200
    after = client.get(url(four_versions)).json()
    assert without(after, "updated_at") == without(before, "updated_at")
    assert (before["updated_at"], after["updated_at"]) == (at(3), at(4))
    assert versions_of(client, four_versions) == [4, 3, 2, 1]


@pytest.mark.parametrize(
    "number",
    [pytest.param(5, id="latest-plus-one"), pytest.param(99, id="far-above")],
)
def test_rollback_to_missing_version_is_404_and_changes_nothing(
    client: TestClient, four_versions: str, number: int
) -> None:
    client.post(url(four_versions, "/rollback"), json={"version": 2})
    before = client.get(url(four_versions)).json()
    response = client.post(url(four_versions, "/rollback"), json={"version": number})
    assert_not_found(response, "version")
    assert client.get(url(four_versions)).json() == before


def test_rollback_unknown_prompt_is_404_id(client: TestClient) -> None:
    assert_not_found(client.post(url(UNKNOWN_ID, "/rollback"), json={"version": 1}), "id")


# --------------------------------------------------------------------------------------------
# Tenancy
# --------------------------------------------------------------------------------------------

OWNERS = {
    "default": {},
    "other-token": {"Authorization": "Bearer other-token"},
    "user-1": {"X-On-Behalf-Of": "user_1"},
    "user-2": {"X-On-Behalf-Of": "user_2"},
    "other-token-user-1": {"Authorization": "Bearer other-token", "X-On-Behalf-Of": "user_1"},
}

FOREIGN_PAIRS = [
    pytest.param(owner, stranger, id=f"{owner}-vs-{stranger}")
    for owner, stranger in [
        ("default", "other-token"),
        ("default", "user-1"),
        ("user-1", "default"),
        ("user-1", "user-2"),
        ("user-1", "other-token-user-1"),
    ]
]


@pytest.mark.parametrize(("owner", "stranger"), FOREIGN_PAIRS)
@pytest.mark.parametrize(("method", "suffix", "kwargs"), ID_OPERATIONS)
def test_tenancy_foreign_id_is_404_like_unknown_id(
    client: TestClient,
    owner: str,
    stranger: str,
    method: str,
    suffix: str,
    kwargs: dict[str, Any],
) -> None:
    headers = OWNERS[owner]
    created = client.post(PROMPTS, json={"name": "n", "template": "t"}, headers=headers).json()
    before = client.get(url(created["id"]), headers=headers).json()
    kwargs = kwargs | {"headers": OWNERS[stranger]}
    foreign = client.request(method, url(created["id"], suffix), **kwargs)
    unknown = client.request(method, url(UNKNOWN_ID, suffix), **kwargs)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == json.loads(unknown.text.replace(UNKNOWN_ID, created["id"]))
    assert client.get(url(created["id"]), headers=headers).json() == before


@pytest.mark.parametrize(("owner", "stranger"), FOREIGN_PAIRS)
def test_tenancy_lists_show_only_own_prompts(client: TestClient, owner: str, stranger: str) -> None:
    mine = client.post(PROMPTS, json={"name": "a", "template": "t"}, headers=OWNERS[owner])
    theirs = client.post(PROMPTS, json={"name": "b", "template": "t"}, headers=OWNERS[stranger])
    assert ids_of(client, OWNERS[owner]) == [mine.json()["id"]]
    assert ids_of(client, OWNERS[stranger]) == [theirs.json()["id"]]


def test_tenancy_foreign_after_is_404_after(client: TestClient) -> None:
    theirs = client.post(PROMPTS, json={"name": "b", "template": "t"}, headers=OWNERS["user-1"])
    client.post(PROMPTS, json={"name": "a", "template": "t"})
    response = client.get(PROMPTS, params={"after": theirs.json()["id"]})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert response.json()["error"]["param"] == "after"


def test_tenancy_empty_on_behalf_of_is_none(client: TestClient) -> None:
    empty = {"X-On-Behalf-Of": ""}
    made_with_empty = client.post(PROMPTS, json={"name": "a", "template": "t"}, headers=empty)
    made_without = client.post(PROMPTS, json={"name": "b", "template": "t"})
    both = [made_without.json()["id"], made_with_empty.json()["id"]]
    assert ids_of(client) == both
    assert ids_of(client, empty) == both
    assert client.get(url(made_with_empty.json()["id"])).status_code == 200
    assert client.get(url(made_without.json()["id"]), headers=empty).status_code == 200


# --------------------------------------------------------------------------------------------
# listPrompts pagination
# --------------------------------------------------------------------------------------------


@pytest.fixture
def five(clock: TickClock, make_prompt: Any) -> list[str]:
    """Five prompts, in creation order, one second apart."""
    created = []
    for i in range(5):
        created.append(make_prompt(name=f"p{i}")["id"])
        clock.tick()
    return created


def test_list_shape(client: TestClient, five: list[str]) -> None:
    listing = client.get(PROMPTS).json()
    assert set(listing) == {"object", "data", "has_more", "first_id", "last_id"}
    assert listing["object"] == "list"
    for item in listing["data"]:
        assert set(item) == PROMPT_KEYS
    assert listing["first_id"] == listing["data"][0]["id"]
    assert listing["last_id"] == listing["data"][-1]["id"]


def test_list_items_equal_get_without_template(client: TestClient, make_prompt: Any) -> None:
    prompt_id = make_prompt(description="d", metadata={"k": [1]})["id"]
    listed = client.get(PROMPTS).json()["data"][0]
    assert listed == without(client.get(url(prompt_id)).json(), "active_template")


def test_list_empty_omits_first_and_last_id(client: TestClient) -> None:
    assert client.get(PROMPTS).json() == {"object": "list", "data": [], "has_more": False}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, [4, 3, 2, 1, 0], id="default-desc"),
        pytest.param({"order": "desc"}, [4, 3, 2, 1, 0], id="desc"),
        pytest.param({"order": "asc"}, [0, 1, 2, 3, 4], id="asc"),
        pytest.param({"limit": 2}, [4, 3], id="limit-desc"),
        pytest.param({"limit": 2, "order": "asc"}, [0, 1], id="limit-asc"),
    ],
)
def test_list_order_and_limit(
    client: TestClient, five: list[str], params: dict[str, Any], expected: list[int]
) -> None:
    assert ids_of(client, **params) == [five[i] for i in expected]


@pytest.mark.parametrize(
    ("limit", "has_more"),
    [
        pytest.param(1, True, id="limit-1"),
        pytest.param(4, True, id="one-short"),
        pytest.param(5, False, id="exactly-all"),
        pytest.param(6, False, id="one-over"),
        pytest.param(100, False, id="max"),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_has_more_is_exact(
    client: TestClient, five: list[str], limit: int, has_more: bool, order: str
) -> None:
    listing = client.get(PROMPTS, params={"limit": limit, "order": order}).json()
    assert listing["has_more"] is has_more
    assert len(listing["data"]) == min(limit, 5)


@pytest.mark.parametrize(
    ("order", "after", "expected", "has_more"),
    [
        pytest.param("asc", 1, [2, 3], True, id="asc-middle"),
        pytest.param("asc", 2, [3, 4], False, id="asc-last-page-exact"),
        pytest.param("asc", 4, [], False, id="asc-after-last"),
        pytest.param("asc", 0, [1, 2], True, id="asc-after-first"),
        pytest.param("desc", 3, [2, 1], True, id="desc-middle"),
        pytest.param("desc", 2, [1, 0], False, id="desc-last-page-exact"),
        pytest.param("desc", 0, [], False, id="desc-after-last"),
        pytest.param("desc", 4, [3, 2], True, id="desc-after-first"),
    ],
)
def test_list_after_is_exclusive_and_follows_order(
    client: TestClient,
    five: list[str],
    order: str,
    after: int,
    expected: list[int],
    has_more: bool,
) -> None:
    listing = client.get(PROMPTS, params={"limit": 2, "order": order, "after": five[after]}).json()
    assert [p["id"] for p in listing["data"]] == [five[i] for i in expected]
    assert listing["has_more"] is has_more
    if expected:
        assert (listing["first_id"], listing["last_id"]) == (five[expected[0]], five[expected[-1]])
    else:
        assert "first_id" not in listing and "last_id" not in listing


def walk(client: TestClient, order: str, limit: int) -> list[str]:
    """Follow last_id while has_more, as the docs' pagination pattern does."""
    seen: list[str] = []
    params: dict[str, Any] = {"order": order, "limit": limit}
    while True:
        page = client.get(PROMPTS, params=params).json()
        seen += [p["id"] for p in page["data"]]
        if not page["has_more"]:
            return seen
        params["after"] = page["last_id"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_list_walk_covers_everything_once(client: TestClient, five: list[str], limit: int) -> None:
    assert walk(client, "asc", limit) == five
    assert walk(client, "desc", limit) == five[::-1]


def test_list_default_limit_is_20(client: TestClient, make_prompt: Any) -> None:
    created = [make_prompt(name=f"p{i}")["id"] for i in range(21)]
    listing = client.get(PROMPTS).json()
    assert [p["id"] for p in listing["data"]] == created[:0:-1]
    assert listing["has_more"] is True


def test_list_ties_broken_by_creation_order(
    client: TestClient, clock: TickClock, make_prompt: Any
) -> None:
    created = [make_prompt(name=f"p{i}")["id"] for i in range(6)]
    listing = client.get(PROMPTS, params={"order": "asc"}).json()
    assert {p["created_at"] for p in listing["data"]} == {at(0)}
    assert [p["id"] for p in listing["data"]] == created
    assert ids_of(client) == created[::-1]
    for limit in (1, 4):
        assert walk(client, "asc", limit) == created
        assert walk(client, "desc", limit) == created[::-1]


def test_list_order_ignores_updates(client: TestClient, five: list[str]) -> None:
    client.put(url(five[0]), json={"name": "touched"})
    client.post(url(five[1], "/versions"), json={"template": "t2"})
    assert ids_of(client, order="asc") == five


def test_list_after_a_deleted_prompt_is_404_after(client: TestClient, five: list[str]) -> None:
    client.delete(url(five[2]))
    response = client.get(PROMPTS, params={"after": five[2]})
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "after"
    assert ids_of(client, order="asc", after=five[1]) == [five[3], five[4]]


# --------------------------------------------------------------------------------------------
# Seeded IDs and the served spec
# --------------------------------------------------------------------------------------------


def generated_ids(app: Starlette) -> list[str]:
    with TestClient(app, headers=AUTH) as test_client:
        first = test_client.post(PROMPTS, json={"name": "a", "template": "t"}).json()
        again = test_client.post(url(first["id"], "/versions"), json={"template": "u"}).json()
        second = test_client.post(PROMPTS, json={"name": "b", "template": "t"}).json()
    return [first["id"], first["version"]["id"], again["id"], second["id"], second["version"]["id"]]


@pytest.fixture(scope="module")
def seeded_runs() -> Iterator[tuple[list[str], list[str], list[str]]]:
    yield (
        generated_ids(create_app(Settings(seed=7))),
        generated_ids(create_app(Settings(seed=7))),
        generated_ids(create_app(Settings(seed=8))),
    )


def test_seeded_ids_repeat(seeded_runs: tuple[list[str], list[str], list[str]]) -> None:
    first, second, _ = seeded_runs
    assert first == second
    assert len(set(first)) == len(first)


def test_seeded_ids_have_the_documented_form(
    seeded_runs: tuple[list[str], list[str], list[str]],
) -> None:
    first, _, other_seed = seeded_runs
    assert [bool(PROMPT_ID.match(i)) for i in first] == [True, False, False, True, False]
    assert [bool(VERSION_ID.match(i)) for i in first] == [False, True, True, False, True]
    assert other_seed != first


def test_openapi_json_is_served(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operations = {
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert operations == SDK_OPERATIONS


def test_openapi_yaml_is_the_contract(client: TestClient) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    contract = Path(__file__).parent.parent / "openapi.yaml"
    assert response.text == contract.read_text(encoding="utf-8")
    assert yaml.safe_load(response.text) == client.get("/openapi.json").json()
