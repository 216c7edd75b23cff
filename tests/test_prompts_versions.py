"""The versions of a prompt, in-process: createPromptVersion, listPromptVersions,
getPromptVersion and rollbackPrompt (clock and app as in test_prompts.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    PROMPT_KEYS,
    UNKNOWN_ID,
    VERSION_ID,
    VERSION_KEYS,
    FakeClock,
    assert_error,
    at,
    create_prompt,
    url,
    versions_of,
    without,
)

# --------------------------------------------------------------------------------------------
# createPromptVersion
# --------------------------------------------------------------------------------------------


def test_create_version_is_latest_plus_one_and_active(client: TestClient, clock: FakeClock) -> None:
    created = create_prompt(client)
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


def test_create_version_after_rollback_activates_new_latest(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
    client.post(url(prompt_id, "/versions"), json={"template": "v2"})
    client.post(url(prompt_id, "/rollback"), json={"version": 1})
    version = client.post(url(prompt_id, "/versions"), json={"template": "v3"}).json()
    assert version["version"] == 3
    fetched = client.get(url(prompt_id)).json()
    assert (fetched["active_version"], fetched["latest_version"]) == (3, 3)
    assert fetched["active_template"] == "v3"


def test_create_version_identical_template_is_new_version(client: TestClient) -> None:
    created = create_prompt(client, template="same")
    again = client.post(url(created["id"], "/versions"), json={"template": "same"}).json()
    assert again["version"] == 2
    assert again["id"] != created["version"]["id"]
    assert versions_of(client, created["id"], order="asc") == [1, 2]


def test_versions_keep_their_own_created_at(client: TestClient, clock: FakeClock) -> None:
    prompt_id = create_prompt(client)["id"]
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
def four_versions(client: TestClient, clock: FakeClock) -> str:
    """A prompt with versions 1..4 made one second apart (the last at ``at(3)``)."""
    prompt_id: str = create_prompt(client, template="t1")["id"]
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


def test_list_versions_default_limit_is_20(client: TestClient) -> None:
    prompt_id = create_prompt(client)["id"]
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
    assert_error(
        client.get(url(four_versions, f"/versions/{number}")), 404, param="version", details=[]
    )


def test_get_version_of_unknown_prompt_is_404_id(client: TestClient) -> None:
    assert_error(client.get(url(UNKNOWN_ID, "/versions/1")), 404, param="id", details=[])
    assert_error(client.get(url(UNKNOWN_ID, "/versions")), 404, param="id", details=[])


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
    client: TestClient, clock: FakeClock, four_versions: str
) -> None:
    clock.tick()
    rolled = client.post(url(four_versions, "/rollback"), json={"version": 2}).json()
    assert rolled["created_at"] == at(0)
    assert rolled["updated_at"] == at(4)


def test_rollback_to_active_version_changes_only_updated_at(
    client: TestClient, clock: FakeClock, four_versions: str
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
    assert_error(response, 404, param="version", details=[])
    assert client.get(url(four_versions)).json() == before


def test_rollback_unknown_prompt_is_404_id(client: TestClient) -> None:
    assert_error(
        client.post(url(UNKNOWN_ID, "/rollback"), json={"version": 1}), 404, param="id", details=[]
    )
