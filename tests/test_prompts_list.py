"""listPrompts, in-process: its shape, order (creation order breaks ties), ``limit``,
``has_more`` and the ``after`` cursor (clock and app as in test_prompts.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    PROMPT_KEYS,
    PROMPTS,
    FakeClock,
    assert_error,
    at,
    create_prompt,
    ids_of,
    url,
    without,
)


@pytest.fixture
def five(client: TestClient, clock: FakeClock) -> list[str]:
    """Five prompts, in creation order, one second apart."""
    created = []
    for i in range(5):
        created.append(create_prompt(client, name=f"p{i}")["id"])
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


def test_list_items_equal_get_without_template(client: TestClient) -> None:
    prompt_id = create_prompt(client, description="d", metadata={"k": [1]})["id"]
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


def test_list_default_limit_is_20(client: TestClient) -> None:
    created = [create_prompt(client, name=f"p{i}")["id"] for i in range(21)]
    listing = client.get(PROMPTS).json()
    assert [p["id"] for p in listing["data"]] == created[:0:-1]
    assert listing["has_more"] is True


def test_list_ties_broken_by_creation_order(client: TestClient, clock: FakeClock) -> None:
    created = [create_prompt(client, name=f"p{i}")["id"] for i in range(6)]
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
    assert_error(response, 404, param="after", details=[])
    assert ids_of(client, order="asc", after=five[1]) == [five[3], five[4]]
