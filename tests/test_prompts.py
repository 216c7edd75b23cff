"""The Prompts operations on one prompt, in-process: create, get (and rendering), update and
delete; and the seeded IDs and served spec. Versions, lists and tenancy have files of their own
(test_prompts_*.py).

The tests share one in-process app, reset before each; its clock stands at ``START`` and moves
only when a test calls ``clock.tick()``, however often the mock reads it, so every write lands at
a timestamp the test knows (``at(seconds)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from tests.helpers import (
    AUTH,
    ID_OPERATIONS,
    PROMPT_ID,
    PROMPT_KEYS,
    PROMPTS,
    ROOT,
    SDK_OPERATIONS,
    UNKNOWN_ID,
    VERSION_ID,
    VERSION_KEYS,
    FakeClock,
    assert_error,
    at,
    create_prompt,
    ids_of,
    url,
    versions_of,
    without,
)

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


def test_create_omits_description_when_unset(client: TestClient) -> None:
    created = create_prompt(client)
    assert "description" not in created
    assert "description" not in client.get(url(created["id"])).json()
    assert "description" not in client.get(PROMPTS).json()["data"][0]


def test_create_keeps_description_and_metadata(client: TestClient) -> None:
    metadata = {"team": "onboarding", "reviewed": True, "n": 1.5, "nested": {"a": [1, None]}}
    created = create_prompt(client, description="A greeting", metadata=metadata)
    assert created["description"] == "A greeting"
    assert created["metadata"] == metadata
    fetched = client.get(url(created["id"])).json()
    assert (fetched["description"], fetched["metadata"]) == ("A greeting", metadata)


def test_create_ids_are_unique(client: TestClient) -> None:
    created = [create_prompt(client, name=f"p{i}") for i in range(5)]
    ids = {p["id"] for p in created} | {p["version"]["id"] for p in created}
    assert len(ids) == 10


def test_create_keeps_unicode_text(client: TestClient) -> None:
    created = create_prompt(
        client, name="Gr\u00fc\u00dfe \U0001f600", template="\u4f60\u597d {{\u540d}}"
    )
    fetched = client.get(url(created["id"]), params={"variables": '{"\u540d": "\u00e9"}'}).json()
    assert fetched["name"] == "Gr\u00fc\u00dfe \U0001f600"
    assert fetched["rendered_template"] == "\u4f60\u597d \u00e9"


# --------------------------------------------------------------------------------------------
# getPrompt
# --------------------------------------------------------------------------------------------


def test_get_returns_prompt_with_active_template(client: TestClient) -> None:
    created = create_prompt(client, description="d")
    response = client.get(url(created["id"]))
    assert response.status_code == 200
    fetched = response.json()
    assert set(fetched) == PROMPT_KEYS | {"description", "active_template"}
    assert fetched["active_template"] == "Hello, {{name}}!"
    assert without(fetched, "active_template") == without(created, "version")


def test_get_with_version_selects_template_but_not_active_version(client: TestClient) -> None:
    prompt_id = create_prompt(client, template="one {{x}}")["id"]
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
def test_get_with_missing_version_is_404_version(client: TestClient, version: int) -> None:
    prompt_id = create_prompt(client)["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "two"})
    assert_error(
        client.get(url(prompt_id), params={"version": version}), 404, param="version", details=[]
    )


def test_get_unknown_id_is_404_id(client: TestClient) -> None:
    response = client.get(url(UNKNOWN_ID))
    assert_error(response, 404, param="id", details=[], mentions=UNKNOWN_ID)


def test_get_without_variables_has_no_rendered_template(client: TestClient) -> None:
    fetched = client.get(url(create_prompt(client)["id"])).json()
    assert "rendered_template" not in fetched


def test_get_with_variables_renders(client: TestClient) -> None:
    prompt_id = create_prompt(client, template="Hello, {{name}}! Welcome to {{company}}.")["id"]
    variables = json.dumps({"name": "Alice", "company": "Acme"})
    fetched = client.get(url(prompt_id), params={"variables": variables}).json()
    assert fetched["rendered_template"] == "Hello, Alice! Welcome to Acme."
    assert fetched["active_template"] == "Hello, {{name}}! Welcome to {{company}}."


def test_get_with_empty_variables_still_has_rendered_template(client: TestClient) -> None:
    prompt_id = create_prompt(client, template="Hi {{name}} {{ name }}")["id"]
    fetched = client.get(url(prompt_id), params={"variables": "{}"}).json()
    assert fetched["rendered_template"] == "Hi {{name}} {{ name }}"


def test_get_renders_the_requested_version(client: TestClient) -> None:
    prompt_id = create_prompt(client, template="v1 {{x}}")["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "v2 {{x}}"})
    fetched = client.get(url(prompt_id), params={"version": 1, "variables": '{"x": "!"}'}).json()
    assert (fetched["active_template"], fetched["rendered_template"]) == ("v1 {{x}}", "v1 !")
    assert fetched["active_version"] == 2


def test_get_renders_rules_end_to_end(client: TestClient) -> None:
    template = (
        "{{n}}|{{f}}|{{b}}|{{z}}|{{o}}|{{l}}|{{u}}|{{ s }}|{{s}}|"
        "{{missing}}|{{inject}}|{{ n }}|{{}}"
    )
    prompt_id = create_prompt(client, template=template)["id"]
    variables = {
        "n": 3,
        "f": 1.5,
        "b": True,
        "z": None,
        "o": {"a": 1},
        "l": [1, 2],
        "u": "\u00e9",
        " s ": "spaced",
        "s": "plain",
        "inject": "{{s}}",
        "unused": "x",
    }
    fetched = client.get(url(prompt_id), params={"variables": json.dumps(variables)}).json()
    assert fetched["rendered_template"] == (
        '3|1.5|true|null|{"a":1}|[1,2]|\u00e9|spaced|plain|{{missing}}|{{s}}|{{ n }}|{{}}'
    )


def test_get_does_not_change_the_prompt(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    before = client.get(url(prompt_id)).json()
    client.get(url(prompt_id), params={"version": 1, "variables": '{"name": "x"}'})
    assert client.get(url(prompt_id)).json() == before


# --------------------------------------------------------------------------------------------
# updatePrompt
# --------------------------------------------------------------------------------------------


def test_update_is_partial(client: TestClient) -> None:
    created = create_prompt(client, description="d", metadata={"k": "v"})
    response = client.put(url(created["id"]), json={"name": "renamed"})
    assert response.status_code == 200
    updated = response.json()
    assert set(updated) == PROMPT_KEYS | {"description"}
    assert updated["name"] == "renamed"
    assert (updated["description"], updated["metadata"]) == ("d", {"k": "v"})
    assert without(updated, "name", "updated_at") == without(
        created, "name", "updated_at", "version"
    )


def test_update_sets_each_field(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    body = {"name": "n2", "description": "new", "metadata": {"reviewed": True}}
    updated = client.put(url(prompt_id), json=body).json()
    assert (updated["name"], updated["description"], updated["metadata"]) == (
        "n2",
        "new",
        {"reviewed": True},
    )
    assert without(client.get(url(prompt_id)).json(), "active_template") == updated


def test_update_null_description_clears_it(client: TestClient) -> None:
    prompt_id = create_prompt(client, description="to be cleared")["id"]
    updated = client.put(url(prompt_id), json={"description": None}).json()
    assert "description" not in updated
    assert "description" not in client.get(url(prompt_id)).json()
    assert "description" not in client.get(PROMPTS).json()["data"][0]


def test_update_null_description_when_unset_is_fine(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    response = client.put(url(prompt_id), json={"description": None})
    assert response.status_code == 200
    assert "description" not in response.json()


def test_update_metadata_replaces_not_merges(client: TestClient) -> None:
    prompt_id = create_prompt(client, metadata={"a": 1, "b": {"c": 2}})["id"]
    updated = client.put(url(prompt_id), json={"metadata": {"b": {"d": 3}}}).json()
    assert updated["metadata"] == {"b": {"d": 3}}
    assert client.get(PROMPTS).json()["data"][0]["metadata"] == {"b": {"d": 3}}
    cleared = client.put(url(prompt_id), json={"metadata": {}}).json()
    assert cleared["metadata"] == {}
    assert client.get(url(prompt_id)).json()["metadata"] == {}


def test_update_empty_body_is_a_no_op(client: TestClient, clock: FakeClock) -> None:
    created = create_prompt(client, description="d", metadata={"k": 1})
    clock.tick()
    response = client.put(url(created["id"]), json={})
    assert response.status_code == 200
    updated = response.json()
    assert without(updated, "updated_at") == without(created, "updated_at", "version")
    assert updated["updated_at"] == at(1)


def test_update_moves_updated_at_only(client: TestClient, clock: FakeClock) -> None:
    created = create_prompt(client)
    clock.tick()
    first = client.put(url(created["id"]), json={"name": "a"}).json()
    clock.tick()
    second = client.put(url(created["id"]), json={"name": "b"}).json()
    assert created["created_at"] == first["created_at"] == second["created_at"] == at(0)
    assert (first["updated_at"], second["updated_at"]) == (at(1), at(2))


def test_update_never_makes_a_version(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    client.put(url(prompt_id), json={"name": "x", "description": "y", "metadata": {"z": 1}})
    fetched = client.get(url(prompt_id)).json()
    assert (fetched["active_version"], fetched["latest_version"]) == (1, 1)
    assert fetched["active_template"] == "Hello, {{name}}!"
    assert versions_of(client, prompt_id) == [1]


def test_update_unknown_id_is_404_id(client: TestClient) -> None:
    assert_error(client.put(url(UNKNOWN_ID), json={"name": "x"}), 404, param="id", details=[])


# --------------------------------------------------------------------------------------------
# deletePrompt
# --------------------------------------------------------------------------------------------


def test_delete_returns_confirmation(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    response = client.delete(url(prompt_id))
    assert response.status_code == 200
    assert response.json() == {"id": prompt_id, "object": "prompt.deleted", "deleted": True}


@pytest.mark.parametrize(("method", "suffix", "kwargs"), ID_OPERATIONS)
def test_delete_then_every_operation_is_404_id(
    client: TestClient, method: str, suffix: str, kwargs: dict[str, Any]
) -> None:
    prompt_id = create_prompt(client)["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "two"})
    assert client.delete(url(prompt_id)).status_code == 200
    assert_error(
        client.request(method, url(prompt_id, suffix), **kwargs), 404, param="id", details=[]
    )


def test_delete_removes_from_lists_only_that_prompt(client: TestClient) -> None:
    first, second, third = (create_prompt(client, name=n)["id"] for n in "abc")
    client.delete(url(second))
    assert ids_of(client, order="asc") == [first, third]
    assert ids_of(client, order="desc") == [third, first]
    assert client.get(url(first)).status_code == 200
    assert client.get(url(third)).status_code == 200


def test_delete_unknown_id_is_404_id(client: TestClient) -> None:
    assert_error(client.delete(url(UNKNOWN_ID)), 404, param="id", details=[])


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
    contract = ROOT / "openapi.yaml"
    assert response.text == contract.read_text(encoding="utf-8")
    assert yaml.safe_load(response.text) == client.get("/openapi.json").json()
