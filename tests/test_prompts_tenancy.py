"""Tenancy, in-process: a prompt belongs to its token and ``X-On-Behalf-Of``; to anyone else it
is a 404 exactly like an unknown ID, and lists show only one's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    ID_OPERATIONS,
    PROMPTS,
    UNKNOWN_ID,
    assert_error,
    create_prompt,
    ids_of,
    url,
)

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
    created = create_prompt(client, headers=headers, name="n", template="t")
    before = client.get(url(created["id"]), headers=headers).json()
    kwargs = kwargs | {"headers": OWNERS[stranger]}
    foreign = client.request(method, url(created["id"], suffix), **kwargs)
    unknown = client.request(method, url(UNKNOWN_ID, suffix), **kwargs)
    assert_error(foreign, 404, param="id", details=[])
    assert unknown.status_code == 404
    assert foreign.json() == json.loads(unknown.text.replace(UNKNOWN_ID, created["id"]))
    assert client.get(url(created["id"]), headers=headers).json() == before


@pytest.mark.parametrize(("owner", "stranger"), FOREIGN_PAIRS)
def test_tenancy_lists_show_only_own_prompts(client: TestClient, owner: str, stranger: str) -> None:
    mine = create_prompt(client, headers=OWNERS[owner], name="a", template="t")
    theirs = create_prompt(client, headers=OWNERS[stranger], name="b", template="t")
    assert ids_of(client, OWNERS[owner]) == [mine["id"]]
    assert ids_of(client, OWNERS[stranger]) == [theirs["id"]]


@pytest.mark.parametrize("stranger", ["user-1", "other-token"])
def test_tenancy_foreign_after_is_404_after(client: TestClient, stranger: str) -> None:
    theirs = create_prompt(client, headers=OWNERS[stranger], name="b", template="t")
    create_prompt(client, name="a", template="t")
    response = client.get(PROMPTS, params={"after": theirs["id"]})
    assert_error(response, 404, param="after", details=[])


def test_tenancy_empty_on_behalf_of_is_none(client: TestClient) -> None:
    empty = {"X-On-Behalf-Of": ""}
    made_with_empty = create_prompt(client, headers=empty, name="a", template="t")
    made_without = create_prompt(client, name="b", template="t")
    both = [made_without["id"], made_with_empty["id"]]
    assert ids_of(client) == both
    assert ids_of(client, empty) == both
    assert client.get(url(made_with_empty["id"])).status_code == 200
    assert client.get(url(made_without["id"]), headers=empty).status_code == 200
