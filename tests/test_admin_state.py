"""The admin API's state: ``GET /__mock/state`` exports every owner's prompts in the fixture
format, ``PUT /__mock/state`` replaces them all (or, when invalid, changes nothing)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mka1_mock import Settings
from tests.helpers import (
    AUTH,
    DEMO,
    FIXTURES,
    GREETING_ID,
    PROMPT_ID,
    PROMPTS,
    USER_123,
    assert_error,
    create_prompt,
    schema_errors,
    state_of,
)


def test_state_exports_every_owner_in_the_fixture_format(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    client.put("/__mock/clock", json={"now": "2026-04-01T12:00:00Z"})
    created = create_prompt(
        client, headers=AUTH | {"X-On-Behalf-Of": "alice"}, name="mine", metadata={"a": [1]}
    )

    state = state_of(client)

    assert schema_errors("State", state) == []
    fixture = json.loads((FIXTURES / "prompts.json").read_text("utf-8"))
    [classifier, greeting, mine] = state["prompts"]
    assert classifier == fixture["prompts"][0] | {"updated_at": "2026-03-16T09:00:00Z"}
    assert greeting["owner"] == {"token": "demo-key", "on_behalf_of": "user_123"}
    assert greeting["id"] == GREETING_ID
    assert greeting["active_version"] == 1
    assert greeting["updated_at"] == greeting["created_at"] == "2026-03-17T08:00:00Z"
    [version] = greeting["versions"]
    assert re.match(r"^pver_[0-9a-f]{32}$", version["id"])
    assert version["created_at"] == "2026-03-17T08:00:00Z"
    assert mine == {
        "owner": {"token": "test-token", "on_behalf_of": "alice"},
        "id": created["id"],
        "name": "mine",
        "active_version": 1,
        "metadata": {"a": [1]},
        "created_at": "2026-04-01T12:00:00Z",
        "updated_at": "2026-04-01T12:00:00Z",
        "versions": [
            {
                "id": created["version"]["id"],
                "template": "Hello, {{name}}!",
                "created_at": "2026-04-01T12:00:00Z",
            }
        ],
    }


def test_state_of_an_empty_mock(make_client: Callable[..., TestClient]) -> None:
    assert state_of(make_client()) == {"prompts": []}


def test_put_state_replaces_every_prompt_of_every_owner(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    create_prompt(client, headers=AUTH, name="before")
    new_state = {
        "prompts": [
            {
                "owner": {"token": "test-token"},
                "name": "only",
                "description": "the one",
                "versions": [
                    {"template": "v1", "created_at": "2026-01-01T00:00:00Z"},
                    {"template": "v2", "created_at": "2026-01-02T00:00:00Z"},
                ],
                "active_version": 1,
            }
        ]
    }

    response = client.put("/__mock/state", json=new_state)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "prompts": 1}
    assert client.get(PROMPTS, headers=DEMO).json()["data"] == []
    assert client.get(f"{PROMPTS}/{GREETING_ID}", headers=USER_123).status_code == 404
    [only] = client.get(PROMPTS, headers=AUTH).json()["data"]
    assert PROMPT_ID.match(only["id"])
    assert only["name"] == "only"
    assert only["description"] == "the one"
    assert (only["active_version"], only["latest_version"]) == (1, 2)
    assert only["created_at"] == "2026-01-01T00:00:00Z"
    assert only["updated_at"] == "2026-01-02T00:00:00Z"
    assert only["metadata"] == {}
    template = client.get(f"{PROMPTS}/{only['id']}", headers=AUTH).json()["active_template"]
    assert template == "v1"
    assert client.put("/__mock/state", json={"prompts": []}).json() == {
        "status": "ok",
        "prompts": 0,
    }
    assert state_of(client) == {"prompts": []}


def _build_varied_state(client: TestClient) -> None:
    """Three owners, ties in created_at, updates, versions, rollbacks and a deletion."""
    alice = AUTH | {"X-On-Behalf-Of": "alice"}
    other = {"Authorization": "Bearer other-token"}
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})
    first = create_prompt(
        client, headers=AUTH, name="first", description="d1", metadata={"k": {"n": [1, None]}}
    )
    tie = create_prompt(
        client, headers=AUTH, name="tie"
    )  # same created_at as first: creation order breaks it
    create_prompt(client, headers=alice, name="alice's", template="{{x}} and {{y}}")
    create_prompt(client, headers=other, name="other")
    client.put("/__mock/clock", json={"advance": 90})
    gone = create_prompt(client, headers=AUTH, name="deleted later")
    client.post(f"{PROMPTS}/{first['id']}/versions", json={"template": "v2"}, headers=AUTH)
    client.put("/__mock/clock", json={"advance": 3600})
    client.post(f"{PROMPTS}/{first['id']}/versions", json={"template": "v3 {{a}}"}, headers=AUTH)
    client.post(f"{PROMPTS}/{first['id']}/rollback", json={"version": 2}, headers=AUTH)
    client.post(f"{PROMPTS}/{tie['id']}", json={"description": "later"}, headers=AUTH)
    client.delete(f"{PROMPTS}/{gone['id']}", headers=AUTH)
    client.put("/__mock/clock", json={"frozen": False})


def _views(client: TestClient) -> dict[str, Any]:
    """Everything the MKA1 API shows each owner."""
    views: dict[str, Any] = {}
    owners = {
        "test-token": AUTH,
        "alice": AUTH | {"X-On-Behalf-Of": "alice"},
        "other": {"Authorization": "Bearer other-token"},
        "demo": DEMO,
        "user_123": USER_123,
    }
    for name, headers in owners.items():
        for order in ("asc", "desc"):
            page = client.get(PROMPTS, params={"limit": 100, "order": order}, headers=headers)
            assert page.status_code == 200, page.text
            views[f"{name} list {order}"] = page.json()
        for prompt in views[f"{name} list asc"]["data"]:
            base = f"{PROMPTS}/{prompt['id']}"
            got = client.get(base, params={"variables": '{"a": 1}'}, headers=headers)
            views[f"{name} get {prompt['id']}"] = got.json()
            versions = client.get(f"{base}/versions", params={"limit": 100}, headers=headers)
            views[f"{name} versions {prompt['id']}"] = versions.json()
            for version in versions.json()["data"]:
                one = client.get(f"{base}/versions/{version['version']}", headers=headers)
                views[f"{name} version {version['id']}"] = one.json()
    return views


def test_state_round_trips_into_a_fresh_mock(make_client: Callable[..., TestClient]) -> None:
    source = make_client(Settings(fixtures=(FIXTURES,)))
    _build_varied_state(source)
    exported = state_of(source)
    assert schema_errors("State", exported) == []
    target = make_client()

    response = target.put("/__mock/state", json=exported)

    assert response.json() == {"status": "ok", "prompts": 6}
    assert state_of(target) == exported
    views = _views(source)
    assert views == _views(target)
    assert views["user_123 list asc"]["data"][0]["id"] == GREETING_ID
    assert [p["name"] for p in views["test-token list asc"]["data"]] == ["first", "tie"]
    assert [p["name"] for p in views["alice list asc"]["data"]] == ["alice's"]


def test_put_state_accepts_its_own_export_unchanged(make_client: Callable[..., TestClient]) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    _build_varied_state(client)
    exported = state_of(client)
    views = _views(client)

    assert client.put("/__mock/state", json=exported).status_code == 200

    assert state_of(client) == exported
    assert _views(client) == views


def _valid_prompt(**fields: Any) -> dict[str, Any]:
    return {"owner": {"token": "t"}, "name": "ok", "versions": [{"template": "t"}]} | fields


TAKEN = "prompt_" + "1" * 32
VERSION_TAKEN = "pver_" + "2" * 32


@pytest.mark.parametrize(
    ("bad", "location"),
    [
        ({"owner": {"token": "t"}, "versions": [{"template": "t"}]}, "body.prompts[1].name"),
        (_valid_prompt(active_version=2), "body.prompts[1].active_version"),
        (_valid_prompt(active_version=0), "body.prompts[1].active_version"),
        (_valid_prompt(id=TAKEN), "body.prompts[1].id"),
        (
            _valid_prompt(versions=[{"template": "a"}, {"id": VERSION_TAKEN, "template": "b"}]),
            "body.prompts[1].versions[1].id",
        ),
        (_valid_prompt(created_at="yesterday"), "body.prompts[1].created_at"),
        (_valid_prompt(updated_at="2026-13-01T00:00:00Z"), "body.prompts[1].updated_at"),
        (
            _valid_prompt(versions=[{"template": "t", "created_at": "2026-03-15 10:30:00"}]),
            "body.prompts[1].versions[0].created_at",
        ),
        (_valid_prompt(versions=[]), "body.prompts[1].versions"),
        (_valid_prompt(owner={"token": ""}), "body.prompts[1].owner.token"),
        (_valid_prompt(id="prompt_123"), "body.prompts[1].id"),
        (_valid_prompt(extra=1), "body.prompts[1]"),
    ],
)
def test_put_invalid_state_is_400_located_and_changes_nothing(
    make_client: Callable[..., TestClient], bad: dict[str, Any], location: str
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    create_prompt(client, headers=AUTH, name="kept")
    before = state_of(client)
    good = _valid_prompt(id=TAKEN, versions=[{"id": VERSION_TAKEN, "template": "t"}])

    response = client.put("/__mock/state", json={"prompts": [good, bad]})

    error = assert_error(response, 400)
    locations = [detail["location"] for detail in error["details"]]
    assert location in locations, error
    assert all(where.startswith("body.prompts[1]") for where in locations), error
    assert all(detail["message"] for detail in error["details"])
    assert state_of(client) == before
    assert [p["name"] for p in client.get(PROMPTS, headers=AUTH).json()["data"]] == ["kept"]


@pytest.mark.parametrize(
    ("body", "location"),
    [({}, "body.prompts"), ({"prompts": {}}, "body.prompts"), ({"prompts": [], "x": 1}, "body")],
)
def test_put_state_with_a_malformed_document_is_400(
    make_client: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    before = state_of(client)

    error = assert_error(client.put("/__mock/state", json=body), 400)

    assert location in [detail["location"] for detail in error["details"]]
    assert state_of(client) == before


def test_put_state_without_json_is_415_or_400_and_changes_nothing(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))
    before = state_of(client)

    plain = client.put("/__mock/state", content=b'{"prompts": []}', headers={"Content-Type": "a/b"})
    empty = client.put("/__mock/state")
    broken = client.put(
        "/__mock/state", content=b'{"prompts": [', headers={"Content-Type": "application/json"}
    )

    assert_error(plain, 415)
    assert assert_error(empty, 400)["details"] == [{"location": "body", "message": "is required"}]
    assert assert_error(broken, 400)["details"][0]["location"] == "body"
    assert state_of(client) == before


def test_state_export_survives_a_number_too_big_for_a_float(
    make_client: Callable[..., TestClient],
) -> None:
    # 1e400 is no finite number: like NaN it must be a 400 that stores nothing, so that the
    # export (and the owner's list) stay valid JSON.
    client = make_client()

    response = client.post(
        PROMPTS,
        content=b'{"name": "a", "template": "t", "metadata": {"x": 1e400}}',
        headers=AUTH | {"Content-Type": "application/json"},
    )
    exported = client.get("/__mock/state")

    assert_error(response, 400)
    assert exported.status_code == 200, exported.text
    assert exported.json() == {"prompts": []}
    assert client.get(PROMPTS, headers=AUTH).status_code == 200


def test_put_invalid_state_does_not_consume_seeded_ids(
    make_client: Callable[..., TestClient],
) -> None:
    # "Nothing changes if it is invalid": a rejected import must not move the ID sequence either.
    client = make_client(Settings(seed=11))
    expected = create_prompt(make_client(Settings(seed=11)), headers=AUTH)

    invalid = {"prompts": [_valid_prompt(), _valid_prompt(active_version=3)]}
    assert client.put("/__mock/state", json=invalid).status_code == 400
    created = create_prompt(client, headers=AUTH)

    assert (created["id"], created["version"]["id"]) == (expected["id"], expected["version"]["id"])
