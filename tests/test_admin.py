"""The admin API under ``/__mock/``: health, the admin document, its separation from the MKA1
API, and reset. State, journal and clock have files of their own (test_admin_*.py).

Every app here is built by the ``make_client`` fixture, which proves after the test that no
response (admin or MKA1) broke its contract and nothing crashed; the test that breaks handlers
on purpose checks its violation and crash itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from mka1_mock.handlers.prompts import HANDLERS
from tests.helpers import (
    ADMIN_DOCUMENT,
    AUTH,
    CLASSIFIER_ID,
    DEMO,
    FIXTURES,
    GREETING_ID,
    PROMPT_ID,
    PROMPTS,
    USER_123,
    assert_error,
    crashes,
    create_prompt,
    drops_the_name,
    journal_of,
    state_of,
)

ADMIN_PATHS = {
    "/__mock/health": {"GET"},
    "/__mock/reset": {"POST"},
    "/__mock/state": {"GET", "PUT"},
    "/__mock/requests": {"GET", "DELETE"},
    "/__mock/violations": {"GET"},
    "/__mock/crashes": {"GET"},
    "/__mock/faults": {"GET", "POST", "DELETE"},
    "/__mock/clock": {"GET", "PUT"},
}


# --- health and the admin document -------------------------------------------------------------


def test_health_answers_ok_and_the_package_version(make_client: Callable[..., TestClient]) -> None:
    from mka1_mock import __version__

    response = make_client().get("/__mock/health")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "version": __version__}


def test_admin_openapi_document_is_served_and_is_valid_openapi_3_1(
    make_client: Callable[..., TestClient],
) -> None:
    response = make_client().get("/__mock/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document == ADMIN_DOCUMENT
    operations = {
        path: {method.upper() for method in item} for path, item in document["paths"].items()
    }
    assert all(path.startswith("/__mock/") for path in operations)
    assert {path: operations.get(path) for path in ADMIN_PATHS} == ADMIN_PATHS


# --- no token, and two separate APIs -----------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": ""}])
def test_admin_api_never_needs_the_bearer_token(
    make_client: Callable[..., TestClient], headers: dict[str, str]
) -> None:
    client = make_client(Settings(api_keys=frozenset({"only-key"})))

    assert client.get("/__mock/health", headers=headers).status_code == 200
    assert client.get("/__mock/openapi.json", headers=headers).status_code == 200
    assert client.get("/__mock/state", headers=headers).json() == {"prompts": []}
    assert client.get("/__mock/requests", headers=headers).status_code == 200
    assert client.get("/__mock/violations", headers=headers).json() == {"data": []}
    assert client.get("/__mock/clock", headers=headers).status_code == 200
    assert client.put("/__mock/clock", json={"frozen": True}, headers=headers).status_code == 200
    assert client.delete("/__mock/requests", headers=headers).json() == {"status": "ok"}
    assert client.put("/__mock/state", json={"prompts": []}, headers=headers).status_code == 200
    assert client.post("/__mock/reset", headers=headers).json() == {"status": "ok", "prompts": 0}


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "is missing"),
        ({"Authorization": "Basic abc"}, "must use the Bearer scheme"),
        ({"Authorization": "Bearer other-key"}, "carries a token this mock does not accept"),
    ],
)
def test_mka1_api_still_needs_the_bearer_token(
    make_client: Callable[..., TestClient], headers: dict[str, str], problem: str
) -> None:
    client = make_client(Settings(api_keys=frozenset({"only-key"})))

    error = assert_error(client.get(PROMPTS, headers=headers), 401)

    assert error["details"] == [{"location": "header.Authorization", "message": problem}]
    assert client.get(PROMPTS, headers={"Authorization": "Bearer only-key"}).status_code == 200


def test_admin_paths_are_not_reachable_under_the_mka1_api(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()

    nested = client.get(f"{PROMPTS}/__mock/health", headers=AUTH)
    as_id = client.get(f"{PROMPTS}/__mock", headers=AUTH)
    as_id_without_token = client.get(f"{PROMPTS}/__mock")

    error = assert_error(nested, 404)
    assert "status" not in nested.json()
    assert error["param"] is None
    # /prompts/__mock is getPrompt for the id "__mock": a prompt lookup, not the admin API.
    error = assert_error(as_id, 404)
    assert error["param"] == "id"
    assert "__mock" in error["message"]
    assert_error(as_id_without_token, 401)
    assert [entry["operation_id"] for entry in journal_of(client)] == ["getPrompt", "getPrompt"]


@pytest.mark.parametrize(
    "path",
    [f"/__mock{PROMPTS}", f"/__mock{PROMPTS}/{CLASSIFIER_ID}", "/__mock/openapi.yaml", "/__mock/"],
)
def test_mka1_paths_are_not_reachable_under_the_admin_prefix(
    make_client: Callable[..., TestClient], path: str
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,)))

    error = assert_error(client.get(path, headers=DEMO), 404)

    assert error["param"] is None
    assert journal_of(client) == []


def test_unknown_admin_path_and_trailing_slash_are_404(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()

    assert_error(client.get("/__mock/nothing"), 404)
    assert_error(client.get("/__mock/health/"), 404)
    assert_error(client.post("/__mock/reset/"), 404)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (path, method)
        for path, allowed in ADMIN_PATHS.items()
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH")
        if method not in allowed
    ],
)
def test_admin_wrong_method_is_405_with_allow(
    make_client: Callable[..., TestClient], path: str, method: str
) -> None:
    client = make_client()
    before = state_of(client)

    response = client.request(method, path, json={"seed": 1})

    error = assert_error(response, 405)
    assert set(response.headers["allow"].split(", ")) == ADMIN_PATHS[path]
    assert error["param"] is None
    assert error["details"] == []
    assert state_of(client) == before


# --- reset --------------------------------------------------------------------------------------


def test_reset_empties_state_journal_and_releases_the_clock(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    create_prompt(client, headers=AUTH)
    client.get(PROMPTS, params={"limit": 0}, headers=AUTH)
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})
    assert len(journal_of(client)) == 2

    response = client.post("/__mock/reset")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "prompts": 0}
    assert journal_of(client) == []
    assert state_of(client) == {"prompts": []}
    clock = client.get("/__mock/clock").json()
    assert clock["frozen"] is False
    assert clock["now"] != "2026-03-15T10:30:00Z"
    assert client.get(PROMPTS, headers=AUTH).json()["data"] == []
    assert create_prompt(client, headers=AUTH)["created_at"] != "2026-03-15T10:30:00Z"


def test_reset_empties_the_violations_and_the_crashes() -> None:
    handlers = HANDLERS | {"getPrompt": drops_the_name, "deletePrompt": crashes}
    app = create_app(handlers=handlers)
    with TestClient(app) as client:
        prompt = create_prompt(client, headers=AUTH)
        assert client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH).status_code == 500
        assert client.delete(f"{PROMPTS}/{prompt['id']}", headers=AUTH).status_code == 500
        assert len(client.get("/__mock/violations").json()["data"]) == 1
        assert len(client.get("/__mock/crashes").json()["data"]) == 1

        client.post("/__mock/reset")

        assert client.get("/__mock/violations").json() == {"data": []}
        assert client.get("/__mock/crashes").json() == {"data": []}
    assert list(app.state.session.violations) == []
    assert list(app.state.session.crashes) == []


def test_reset_without_a_body_restarts_the_seeded_id_sequence(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(seed=42))
    first = create_prompt(client, headers=AUTH)
    second = create_prompt(client, headers=AUTH)

    client.post("/__mock/reset")
    again = create_prompt(client, headers=AUTH)
    then = create_prompt(client, headers=AUTH)

    assert PROMPT_ID.match(first["id"])
    assert first["id"] != second["id"]
    assert (again["id"], again["version"]["id"]) == (first["id"], first["version"]["id"])
    assert then["id"] == second["id"]


def test_reset_with_a_seed_switches_the_seed_until_the_next_plain_reset(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(seed=42))
    from_42 = create_prompt(client, headers=AUTH)["id"]
    from_7 = create_prompt(make_client(Settings(seed=7)), headers=AUTH)["id"]

    response = client.post("/__mock/reset", json={"seed": 7})
    switched = create_prompt(client, headers=AUTH)["id"]
    client.post("/__mock/reset", json={"seed": 7})
    switched_again = create_prompt(client, headers=AUTH)["id"]
    client.post("/__mock/reset")
    back = create_prompt(client, headers=AUTH)["id"]

    assert response.json() == {"status": "ok", "prompts": 0}
    assert from_7 != from_42
    assert switched == switched_again == from_7
    assert back == from_42


def test_reset_with_a_null_seed_gives_random_ids(make_client: Callable[..., TestClient]) -> None:
    client = make_client(Settings(seed=42))
    seeded = create_prompt(client, headers=AUTH)["id"]

    client.post("/__mock/reset", json={"seed": None})
    one = create_prompt(client, headers=AUTH)["id"]
    client.post("/__mock/reset", json={"seed": None})
    two = create_prompt(client, headers=AUTH)["id"]
    client.post("/__mock/reset", json={})
    back = create_prompt(client, headers=AUTH)["id"]

    assert PROMPT_ID.match(one) and PROMPT_ID.match(two)
    assert len({seeded, one, two}) == 3
    assert back == seeded


def test_reset_restores_the_shipped_fixtures(make_client: Callable[..., TestClient]) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,), seed=3))
    shipped = state_of(client)
    assert client.delete(f"{PROMPTS}/{CLASSIFIER_ID}", headers=DEMO).status_code == 200
    assert client.post(
        f"{PROMPTS}/{GREETING_ID}/versions", json={"template": "Hi"}, headers=USER_123
    )
    create_prompt(client, headers=DEMO, name="extra")
    client.put("/__mock/state", json={"prompts": []})

    response = client.post("/__mock/reset")

    assert response.json() == {"status": "ok", "prompts": 2}
    assert state_of(client) == shipped
    listed = client.get(PROMPTS, headers=DEMO).json()["data"]
    assert [prompt["id"] for prompt in listed] == [CLASSIFIER_ID]
    greeting = client.get(f"{PROMPTS}/{GREETING_ID}", headers=USER_123).json()
    assert greeting["name"] == "greeting"
    assert greeting["latest_version"] == 1
    assert greeting["active_template"] == "Hello, {{name}}! Welcome to {{company}}."


def test_reset_with_a_new_seed_regenerates_the_fixture_ids_from_it(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(Settings(fixtures=(FIXTURES,), seed=3))
    shipped = state_of(client)
    fresh_5 = state_of(make_client(Settings(fixtures=(FIXTURES,), seed=5)))

    client.post("/__mock/reset", json={"seed": 5})

    assert state_of(client) == fresh_5
    # Only the generated greeting version ID differs; the fixture's own IDs stay.
    assert [p["id"] for p in fresh_5["prompts"]] == [p["id"] for p in shipped["prompts"]]
    assert fresh_5["prompts"][1]["versions"] != shipped["prompts"][1]["versions"]


@pytest.mark.parametrize(
    ("body", "location"),
    [({"seed": "x"}, "body.seed"), ({"seed": 1.5}, "body.seed"), ([], "body")],
)
def test_reset_with_an_invalid_body_is_400_and_resets_nothing(
    make_client: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make_client()
    create_prompt(client, headers=AUTH)

    error = assert_error(client.post("/__mock/reset", json=body), 400)

    assert location in [detail["location"] for detail in error["details"]]
    assert len(state_of(client)["prompts"]) == 1
    assert len(journal_of(client)) == 1


def test_reset_with_a_non_json_body_is_415(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    create_prompt(client, headers=AUTH)

    response = client.post(
        "/__mock/reset", content=b'{"seed": 1}', headers={"Content-Type": "text/plain"}
    )

    error = assert_error(response, 415)
    assert error["details"][0]["location"] == "header.Content-Type"
    assert len(state_of(client)["prompts"]) == 1
