"""The admin API under ``/__mock/``: health, reset, state, journal, violations and clock.

Every app here is built by the ``make`` fixture, which proves after the test that no response
(admin or MKA1) broke its contract; the one test that breaks a handler on purpose checks its
violation itself and empties the list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app
from mka1_mock.handlers import Call
from mka1_mock.handlers.prompts import HANDLERS, get_prompt

from .conftest import AUTH, PROMPTS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ADMIN_DOCUMENT = yaml.safe_load((ROOT / "src" / "mka1_mock" / "admin.yaml").read_text("utf-8"))
DEMO = {"Authorization": "Bearer demo-key"}
USER_123 = DEMO | {"X-On-Behalf-Of": "user_123"}
CLASSIFIER_ID = "prompt_aa87e2b1112a455b8deabed784372198"
GREETING_ID = "prompt_0f4c1a2b3c4d5e6f708192a3b4c5d6e7"
PROMPT_ID = re.compile(r"^prompt_[0-9a-f]{32}$")
JOURNAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ADMIN_PATHS = {
    "/__mock/health": {"GET"},
    "/__mock/reset": {"POST"},
    "/__mock/state": {"GET", "PUT"},
    "/__mock/requests": {"GET", "DELETE"},
    "/__mock/violations": {"GET"},
    "/__mock/clock": {"GET", "PUT"},
}
ENTRY_FIELDS = {
    "time",
    "method",
    "path",
    "operation_id",
    "query",
    "headers",
    "body",
    "status",
    "response",
    "request_errors",
    "response_errors",
    "duration_ms",
}


def schema_errors(component: str, data: Any) -> list[str]:
    """Where ``data`` breaks ``admin.yaml``'s component, checked independently of the mock."""
    schema = {"$ref": f"#/components/schemas/{component}", **ADMIN_DOCUMENT}
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(error.absolute_path)}: {error.message}" for error in checker.iter_errors(data)]


def mock_of(app: Starlette) -> Session:
    state: Session = app.state.session
    return state


@pytest.fixture
def make() -> Iterator[Callable[..., TestClient]]:
    """Build an app from settings and give an unauthenticated client for it."""
    built: list[tuple[Starlette, TestClient]] = []

    def build(settings: Settings | None = None, **options: Any) -> TestClient:
        app = create_app(settings or Settings(), **options)
        client = TestClient(app)
        client.__enter__()
        built.append((app, client))
        return client

    yield build
    for app, client in built:
        client.__exit__(None, None, None)
        violations = list(mock_of(app).violations)
        assert violations == [], f"the mock broke its contract: {violations}"


def create(client: TestClient, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    body = {"name": "greeting", "template": "Hello, {{name}}!"} | fields
    response = client.post(PROMPTS, json=body, headers=headers or AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def state_of(client: TestClient) -> Any:
    response = client.get("/__mock/state")
    assert response.status_code == 200, response.text
    return response.json()


def journal(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/__mock/requests", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def assert_error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "code", "param", "details"}
    assert error["type"] == kind
    assert error["code"] == status
    assert error["message"]
    return error


# --- health and the admin document -------------------------------------------------------------


def test_health_answers_ok_and_the_package_version(make: Callable[..., TestClient]) -> None:
    from mka1_mock import __version__

    response = make().get("/__mock/health")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "version": __version__}


def test_admin_openapi_document_is_served_and_is_valid_openapi_3_1(
    make: Callable[..., TestClient],
) -> None:
    response = make().get("/__mock/openapi.json")

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
    make: Callable[..., TestClient], headers: dict[str, str]
) -> None:
    client = make(Settings(api_keys=frozenset({"only-key"})))

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
    make: Callable[..., TestClient], headers: dict[str, str], problem: str
) -> None:
    client = make(Settings(api_keys=frozenset({"only-key"})))

    error = assert_error(client.get(PROMPTS, headers=headers), 401, "authentication_error")

    assert error["details"] == [{"location": "header.Authorization", "message": problem}]
    assert client.get(PROMPTS, headers={"Authorization": "Bearer only-key"}).status_code == 200


def test_admin_paths_are_not_reachable_under_the_mka1_api(make: Callable[..., TestClient]) -> None:
    client = make()

    nested = client.get(f"{PROMPTS}/__mock/health", headers=AUTH)
    as_id = client.get(f"{PROMPTS}/__mock", headers=AUTH)
    as_id_without_token = client.get(f"{PROMPTS}/__mock")

    error = assert_error(nested, 404, "not_found_error")
    assert "status" not in nested.json()
    assert error["param"] is None
    # /prompts/__mock is getPrompt for the id "__mock": a prompt lookup, not the admin API.
    error = assert_error(as_id, 404, "not_found_error")
    assert error["param"] == "id"
    assert "__mock" in error["message"]
    assert_error(as_id_without_token, 401, "authentication_error")
    assert [entry["operation_id"] for entry in journal(client)] == ["getPrompt", "getPrompt"]


@pytest.mark.parametrize(
    "path",
    [f"/__mock{PROMPTS}", f"/__mock{PROMPTS}/{CLASSIFIER_ID}", "/__mock/openapi.yaml", "/__mock/"],
)
def test_mka1_paths_are_not_reachable_under_the_admin_prefix(
    make: Callable[..., TestClient], path: str
) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))

    error = assert_error(client.get(path, headers=DEMO), 404, "not_found_error")

    assert error["param"] is None
    assert journal(client) == []


def test_unknown_admin_path_and_trailing_slash_are_404(make: Callable[..., TestClient]) -> None:
    client = make()

    assert_error(client.get("/__mock/nothing"), 404, "not_found_error")
    assert_error(client.get("/__mock/health/"), 404, "not_found_error")
    assert_error(client.post("/__mock/reset/"), 404, "not_found_error")


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
    make: Callable[..., TestClient], path: str, method: str
) -> None:
    client = make()
    before = state_of(client)

    response = client.request(method, path, json={"seed": 1})

    error = assert_error(response, 405, "method_not_allowed_error")
    assert set(response.headers["allow"].split(", ")) == ADMIN_PATHS[path]
    assert error["param"] is None
    assert error["details"] == []
    assert state_of(client) == before


# --- reset --------------------------------------------------------------------------------------


def test_reset_empties_state_journal_and_releases_the_clock(
    make: Callable[..., TestClient],
) -> None:
    client = make()
    create(client)
    client.get(PROMPTS, params={"limit": 0}, headers=AUTH)
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})
    assert len(journal(client)) == 2

    response = client.post("/__mock/reset")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "prompts": 0}
    assert journal(client) == []
    assert state_of(client) == {"prompts": []}
    clock = client.get("/__mock/clock").json()
    assert clock["frozen"] is False
    assert clock["now"] != "2026-03-15T10:30:00Z"
    assert client.get(PROMPTS, headers=AUTH).json()["data"] == []
    assert create(client)["created_at"] != "2026-03-15T10:30:00Z"


def test_reset_empties_the_violations() -> None:
    def drops_the_name(session: Session, call: Call) -> dict[str, Any]:
        data = get_prompt(session, call)
        del data["name"]
        return data

    app = create_app(handlers=HANDLERS | {"getPrompt": drops_the_name})
    with TestClient(app) as client:
        prompt = create(client)
        assert client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH).status_code == 500
        assert len(client.get("/__mock/violations").json()["data"]) == 1

        client.post("/__mock/reset")

        assert client.get("/__mock/violations").json() == {"data": []}
    assert list(mock_of(app).violations) == []


def test_reset_without_a_body_restarts_the_seeded_id_sequence(
    make: Callable[..., TestClient],
) -> None:
    client = make(Settings(seed=42))
    first = create(client)
    second = create(client)

    client.post("/__mock/reset")
    again = create(client)
    then = create(client)

    assert PROMPT_ID.match(first["id"])
    assert first["id"] != second["id"]
    assert (again["id"], again["version"]["id"]) == (first["id"], first["version"]["id"])
    assert then["id"] == second["id"]


def test_reset_with_a_seed_switches_the_seed_until_the_next_plain_reset(
    make: Callable[..., TestClient],
) -> None:
    client = make(Settings(seed=42))
    from_42 = create(client)["id"]
    from_7 = create(make(Settings(seed=7)))["id"]

    response = client.post("/__mock/reset", json={"seed": 7})
    switched = create(client)["id"]
    client.post("/__mock/reset", json={"seed": 7})
    switched_again = create(client)["id"]
    client.post("/__mock/reset")
    back = create(client)["id"]

    assert response.json() == {"status": "ok", "prompts": 0}
    assert from_7 != from_42
    assert switched == switched_again == from_7
    assert back == from_42


def test_reset_with_a_null_seed_gives_random_ids(make: Callable[..., TestClient]) -> None:
    client = make(Settings(seed=42))
    seeded = create(client)["id"]

    client.post("/__mock/reset", json={"seed": None})
    one = create(client)["id"]
    client.post("/__mock/reset", json={"seed": None})
    two = create(client)["id"]
    client.post("/__mock/reset", json={})
    back = create(client)["id"]

    assert PROMPT_ID.match(one) and PROMPT_ID.match(two)
    assert len({seeded, one, two}) == 3
    assert back == seeded


def test_reset_restores_the_shipped_fixtures(make: Callable[..., TestClient]) -> None:
    client = make(Settings(fixtures=(FIXTURES,), seed=3))
    shipped = state_of(client)
    assert client.delete(f"{PROMPTS}/{CLASSIFIER_ID}", headers=DEMO).status_code == 200
    assert client.post(
        f"{PROMPTS}/{GREETING_ID}/versions", json={"template": "Hi"}, headers=USER_123
    )
    create(client, DEMO, name="extra")
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
    make: Callable[..., TestClient],
) -> None:
    client = make(Settings(fixtures=(FIXTURES,), seed=3))
    shipped = state_of(client)
    fresh_5 = state_of(make(Settings(fixtures=(FIXTURES,), seed=5)))

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
    make: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make()
    create(client)

    error = assert_error(client.post("/__mock/reset", json=body), 400, "invalid_request_error")

    assert location in [detail["location"] for detail in error["details"]]
    assert len(state_of(client)["prompts"]) == 1
    assert len(journal(client)) == 1


def test_reset_with_a_non_json_body_is_415(make: Callable[..., TestClient]) -> None:
    client = make()
    create(client)

    response = client.post(
        "/__mock/reset", content=b'{"seed": 1}', headers={"Content-Type": "text/plain"}
    )

    error = assert_error(response, 415, "unsupported_media_type_error")
    assert error["details"][0]["location"] == "header.Content-Type"
    assert len(state_of(client)["prompts"]) == 1


# --- state --------------------------------------------------------------------------------------


def test_state_exports_every_owner_in_the_fixture_format(make: Callable[..., TestClient]) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
    client.put("/__mock/clock", json={"now": "2026-04-01T12:00:00Z"})
    created = create(client, AUTH | {"X-On-Behalf-Of": "alice"}, name="mine", metadata={"a": [1]})

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


def test_state_of_an_empty_mock(make: Callable[..., TestClient]) -> None:
    assert state_of(make()) == {"prompts": []}


def test_put_state_replaces_every_prompt_of_every_owner(make: Callable[..., TestClient]) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
    create(client, name="before")
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
    first = create(client, name="first", description="d1", metadata={"k": {"n": [1, None]}})
    tie = create(client, name="tie")  # same created_at as first: creation order breaks it
    create(client, alice, name="alice's", template="{{x}} and {{y}}")
    create(client, other, name="other")
    client.put("/__mock/clock", json={"advance": 90})
    gone = create(client, name="deleted later")
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


def test_state_round_trips_into_a_fresh_mock(make: Callable[..., TestClient]) -> None:
    source = make(Settings(fixtures=(FIXTURES,)))
    _build_varied_state(source)
    exported = state_of(source)
    assert schema_errors("State", exported) == []
    target = make()

    response = target.put("/__mock/state", json=exported)

    assert response.json() == {"status": "ok", "prompts": 6}
    assert state_of(target) == exported
    views = _views(source)
    assert views == _views(target)
    assert views["user_123 list asc"]["data"][0]["id"] == GREETING_ID
    assert [p["name"] for p in views["test-token list asc"]["data"]] == ["first", "tie"]
    assert [p["name"] for p in views["alice list asc"]["data"]] == ["alice's"]


def test_put_state_accepts_its_own_export_unchanged(make: Callable[..., TestClient]) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
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
    make: Callable[..., TestClient], bad: dict[str, Any], location: str
) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
    create(client, name="kept")
    before = state_of(client)
    good = _valid_prompt(id=TAKEN, versions=[{"id": VERSION_TAKEN, "template": "t"}])

    response = client.put("/__mock/state", json={"prompts": [good, bad]})

    error = assert_error(response, 400, "invalid_request_error")
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
    make: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
    before = state_of(client)

    error = assert_error(client.put("/__mock/state", json=body), 400, "invalid_request_error")

    assert location in [detail["location"] for detail in error["details"]]
    assert state_of(client) == before


def test_put_state_without_json_is_415_or_400_and_changes_nothing(
    make: Callable[..., TestClient],
) -> None:
    client = make(Settings(fixtures=(FIXTURES,)))
    before = state_of(client)

    plain = client.put("/__mock/state", content=b'{"prompts": []}', headers={"Content-Type": "a/b"})
    empty = client.put("/__mock/state")
    broken = client.put(
        "/__mock/state", content=b'{"prompts": [', headers={"Content-Type": "application/json"}
    )

    assert_error(plain, 415, "unsupported_media_type_error")
    assert assert_error(empty, 400, "invalid_request_error")["details"] == [
        {"location": "body", "message": "is required"}
    ]
    assert assert_error(broken, 400, "invalid_request_error")["details"][0]["location"] == "body"
    assert state_of(client) == before


def test_state_export_survives_a_number_too_big_for_a_float(
    make: Callable[..., TestClient],
) -> None:
    # 1e400 is no finite number: like NaN it must be a 400 that stores nothing, so that the
    # export (and the owner's list) stay valid JSON.
    client = make()

    response = client.post(
        PROMPTS,
        content=b'{"name": "a", "template": "t", "metadata": {"x": 1e400}}',
        headers=AUTH | {"Content-Type": "application/json"},
    )
    exported = client.get("/__mock/state")

    assert_error(response, 400, "invalid_request_error")
    assert exported.status_code == 200, exported.text
    assert exported.json() == {"prompts": []}
    assert client.get(PROMPTS, headers=AUTH).status_code == 200


def test_put_invalid_state_does_not_consume_seeded_ids(make: Callable[..., TestClient]) -> None:
    # "Nothing changes if it is invalid": a rejected import must not move the ID sequence either.
    client = make(Settings(seed=11))
    expected = create(make(Settings(seed=11)))

    invalid = {"prompts": [_valid_prompt(), _valid_prompt(active_version=3)]}
    assert client.put("/__mock/state", json=invalid).status_code == 400
    created = create(client)

    assert (created["id"], created["version"]["id"]) == (expected["id"], expected["version"]["id"])


# --- requests (the journal) ---------------------------------------------------------------------


def test_journal_entry_records_request_and_response(make: Callable[..., TestClient]) -> None:
    client = make()
    body = {
        "name": "greeting",
        "template": "Hi {{n}}",
        "metadata": {"when": "2026-03-15T10:30:00Z", "n": 1.5},
        "unknown_field": [True, None],
    }
    headers = AUTH | {"X-On-Behalf-Of": "alice", "X-Trace": "abc"}
    response = client.post(PROMPTS, json=body, headers=headers)
    assert response.status_code == 201

    [entry] = journal(client)

    assert ENTRY_FIELDS <= set(entry)
    assert schema_errors("JournalEntry", entry) == []
    assert JOURNAL_TIME.match(entry["time"])
    assert entry["method"] == "POST"
    assert entry["path"] == PROMPTS
    assert entry["operation_id"] == "createPrompt"
    assert entry["query"] == {}
    assert entry["headers"]["x-on-behalf-of"] == "alice"
    assert entry["headers"]["x-trace"] == "abc"
    assert entry["headers"]["authorization"] == "Bearer test-token"
    assert entry["headers"]["content-type"] == "application/json"
    assert entry["body"] == body
    assert entry["status"] == 201
    assert entry["response"] == response.json()
    assert entry["request_errors"] == []
    assert entry["response_errors"] == []
    assert isinstance(entry["duration_ms"], (int, float))
    assert entry["duration_ms"] >= 0


def test_journal_records_query_path_and_order(make: Callable[..., TestClient]) -> None:
    client = make()
    prompt = create(client)
    listed = client.get(PROMPTS, params={"limit": "2", "order": "asc"}, headers=AUTH)
    got = client.get(
        f"{PROMPTS}/{prompt['id']}", params={"variables": '{"name": "x"}'}, headers=AUTH
    )

    entries = journal(client)

    assert [e["operation_id"] for e in entries] == ["createPrompt", "listPrompts", "getPrompt"]
    assert entries[1]["query"] == {"limit": "2", "order": "asc"}
    assert entries[1]["body"] is None
    assert entries[1]["response"] == listed.json()
    assert entries[2]["path"] == f"{PROMPTS}/{prompt['id']}"
    assert entries[2]["query"] == {"variables": '{"name": "x"}'}
    assert entries[2]["response"]["rendered_template"] == "Hello, x!"
    assert entries[2]["response"] == got.json()
    assert [e["time"] for e in entries] == sorted(e["time"] for e in entries)
    assert all(schema_errors("JournalEntry", entry) == [] for entry in entries)


def test_journal_filters_by_operation(make: Callable[..., TestClient]) -> None:
    client = make()
    first = create(client, name="a")
    client.get(PROMPTS, headers=AUTH)
    second = create(client, name="b")
    client.get(f"{PROMPTS}/{first['id']}", headers=AUTH)

    creates = journal(client, operation="createPrompt")
    gets = journal(client, operation="getPrompt")

    assert [entry["response"]["id"] for entry in creates] == [first["id"], second["id"]]
    assert [entry["operation_id"] for entry in gets] == ["getPrompt"]
    assert journal(client, operation="rollbackPrompt") == []
    assert journal(client, operation="health") == []
    assert len(journal(client)) == 4


def test_journal_operation_filter_must_not_be_empty(make: Callable[..., TestClient]) -> None:
    client = make()

    error = assert_error(
        client.get("/__mock/requests", params={"operation": ""}), 400, "invalid_request_error"
    )

    assert error["param"] == "operation"
    assert error["details"][0]["location"] == "query.operation"


def test_delete_requests_empties_the_journal_only(make: Callable[..., TestClient]) -> None:
    client = make()
    create(client)
    client.get(PROMPTS, headers=AUTH)

    response = client.delete("/__mock/requests")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert journal(client) == []
    assert len(state_of(client)["prompts"]) == 1
    client.get(PROMPTS, headers=AUTH)
    assert [entry["operation_id"] for entry in journal(client)] == ["listPrompts"]


def test_journal_records_a_rejected_request_with_its_request_errors(
    make: Callable[..., TestClient],
) -> None:
    client = make()

    response = client.get(PROMPTS, params={"limit": 0}, headers=AUTH)
    unauthorized = client.get(PROMPTS)

    [rejected, refused] = journal(client)
    assert response.status_code == 400
    assert rejected["operation_id"] == "listPrompts"
    assert rejected["status"] == 400
    assert rejected["query"] == {"limit": "0"}
    assert rejected["response"] == response.json()
    assert "query.limit" in [detail["location"] for detail in rejected["request_errors"]]
    assert rejected["request_errors"] == response.json()["error"]["details"]
    assert rejected["response_errors"] == []
    assert refused["status"] == 401
    assert refused["response"] == unauthorized.json()
    assert refused["request_errors"] == [
        {"location": "header.Authorization", "message": "is missing"}
    ]
    assert refused["response_errors"] == []
    assert all(schema_errors("JournalEntry", entry) == [] for entry in (rejected, refused))


def test_journal_records_an_unparsable_body_as_text(make: Callable[..., TestClient]) -> None:
    client = make()

    malformed = client.post(
        PROMPTS, content=b'{"name": "a",', headers=AUTH | {"Content-Type": "application/json"}
    )
    plain = client.post(PROMPTS, content=b"name=a", headers=AUTH | {"Content-Type": "text/plain"})

    assert (malformed.status_code, plain.status_code) == (400, 415)
    [bad_json, not_json] = journal(client)
    # admin.yaml: "The request body as JSON when it parses, else as text, else null."
    assert bad_json["body"] == '{"name": "a",'
    assert not_json["body"] == "name=a"
    assert bad_json["request_errors"][0]["location"] == "body"
    assert not_json["request_errors"][0]["location"] == "header.Content-Type"


def test_journal_stays_readable_after_a_number_too_big_for_a_float(
    make: Callable[..., TestClient],
) -> None:
    client = make()

    response = client.post(
        PROMPTS,
        content=b'{"name": 1e400, "template": "t"}',
        headers=AUTH | {"Content-Type": "application/json"},
    )
    listed = client.get("/__mock/requests")

    assert response.status_code == 400
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()["data"]
    assert entry["status"] == 400


def test_admin_calls_are_not_journaled(make: Callable[..., TestClient]) -> None:
    client = make()
    create(client)
    calls = [
        ("GET", "/__mock/health"),
        ("GET", "/__mock/openapi.json"),
        ("GET", "/__mock/state"),
        ("GET", "/__mock/violations"),
        ("GET", "/__mock/clock"),
        ("PUT", "/__mock/clock"),
        ("GET", "/__mock/requests"),
        ("POST", "/__mock/health"),
        ("GET", "/__mock/nothing"),
    ]
    for method, path in calls:
        client.request(method, path, json={"frozen": True} if method == "PUT" else None)
    client.get("/__mock/requests", params={"operation": ""})

    assert [entry["operation_id"] for entry in journal(client)] == ["createPrompt"]


# --- violations ---------------------------------------------------------------------------------


def test_violations_are_empty_normally(make: Callable[..., TestClient]) -> None:
    client = make()
    prompt = create(client)
    client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH)
    client.get(PROMPTS, params={"limit": 0}, headers=AUTH)

    response = client.get("/__mock/violations")

    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_violations_list_a_broken_handler_and_its_journal_entry_blames_the_mock() -> None:
    def drops_the_name(session: Session, call: Call) -> dict[str, Any]:
        data = get_prompt(session, call)
        del data["name"]
        return data

    app = create_app(handlers=HANDLERS | {"getPrompt": drops_the_name})
    with TestClient(app) as client:
        prompt = create(client)
        response = client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH)
        violations = client.get("/__mock/violations")
        entries = journal(client, operation="getPrompt")

    assert response.status_code == 500
    assert violations.status_code == 200
    [violation] = violations.json()["data"]
    assert schema_errors("Violation", violation) == []
    assert violation["operation_id"] == "getPrompt"
    assert violation["method"] == "GET"
    assert violation["path"] == f"{PROMPTS}/{prompt['id']}"
    assert violation["status"] == 200
    assert {"location": "response.body.name", "message": "is required"} in violation["details"]
    [entry] = entries
    assert entry["status"] == 500
    assert entry["response"] == response.json()
    assert entry["response"]["error"]["type"] == "server_error"
    assert entry["request_errors"] == []
    assert entry["response_errors"] == violation["details"]
    assert schema_errors("JournalEntry", entry) == []
    assert len(mock_of(app).violations) == 1


def test_a_crashing_handler_is_journaled_without_request_or_response_errors() -> None:
    def crashes(session: Session, call: Call) -> dict[str, Any]:
        raise RuntimeError("boom")

    app = create_app(handlers=HANDLERS | {"listPrompts": crashes})
    with TestClient(app) as client:
        response = client.get(PROMPTS, headers=AUTH)
        [entry] = journal(client)
        violations = client.get("/__mock/violations").json()

    assert response.status_code == 500
    assert entry["status"] == 500
    assert entry["response"]["error"]["message"] == (
        "listPrompts failed inside the mock: RuntimeError('boom')"
    )
    assert entry["request_errors"] == []
    assert entry["response_errors"] == []
    assert violations == {"data": []}


# --- clock --------------------------------------------------------------------------------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_clock_is_the_wall_clock_by_default(make: Callable[..., TestClient]) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)

    clock = make().get("/__mock/clock").json()

    after = datetime.now(timezone.utc)
    assert schema_errors("ClockState", clock) == []
    assert clock["frozen"] is False
    assert before <= _utc(clock["now"]) <= after
    assert clock["now"].endswith("Z")


def test_clock_freezes_advances_and_releases(make: Callable[..., TestClient]) -> None:
    client = make()

    frozen = client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})
    first = create(client, name="first")
    still = client.get("/__mock/clock").json()
    moved = client.put("/__mock/clock", json={"advance": 60})
    second = create(client, name="second")
    version = client.post(
        f"{PROMPTS}/{first['id']}/versions", json={"template": "v2"}, headers=AUTH
    ).json()
    before_release = datetime.now(timezone.utc).replace(microsecond=0)
    released = client.put("/__mock/clock", json={"frozen": False})

    assert frozen.status_code == 200
    assert frozen.json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}
    assert first["created_at"] == first["updated_at"] == "2026-03-15T10:30:00Z"
    assert first["version"]["created_at"] == "2026-03-15T10:30:00Z"
    assert still == {"now": "2026-03-15T10:30:00Z", "frozen": True}
    assert moved.json() == {"now": "2026-03-15T10:31:00Z", "frozen": True}
    assert second["created_at"] == "2026-03-15T10:31:00Z"
    assert version["created_at"] == "2026-03-15T10:31:00Z"
    updated = client.get(f"{PROMPTS}/{first['id']}", headers=AUTH).json()
    assert updated["updated_at"] == "2026-03-15T10:31:00Z"
    assert updated["created_at"] == "2026-03-15T10:30:00Z"
    assert released.json()["frozen"] is False
    assert _utc(released.json()["now"]) >= before_release
    assert client.get("/__mock/clock").json()["frozen"] is False
    third = create(client, name="third")
    assert _utc(third["created_at"]) >= before_release


def test_clock_now_with_an_offset_and_advance_together(make: Callable[..., TestClient]) -> None:
    client = make()

    response = client.put(
        "/__mock/clock", json={"now": "2026-03-15T12:30:00.750+02:00", "advance": 30}
    )

    assert response.json() == {"now": "2026-03-15T10:30:30Z", "frozen": True}


def test_clock_frozen_true_freezes_where_it_is(make: Callable[..., TestClient]) -> None:
    client = make()
    before = datetime.now(timezone.utc).replace(microsecond=0)

    frozen = client.put("/__mock/clock", json={"frozen": True}).json()
    later = client.get("/__mock/clock").json()
    unchanged = client.put("/__mock/clock", json={}).json()

    assert frozen["frozen"] is True
    assert _utc(frozen["now"]) >= before
    assert later == unchanged == frozen


def test_clock_advance_moves_a_running_clock_until_released(
    make: Callable[..., TestClient],
) -> None:
    client = make()
    before = datetime.now(timezone.utc).replace(microsecond=0)

    moved = client.put("/__mock/clock", json={"advance": 86400}).json()
    created = create(client)
    released = client.put("/__mock/clock", json={"frozen": False}).json()

    assert moved["frozen"] is False
    assert _utc(moved["now"]) >= before + timedelta(days=1)
    assert _utc(created["created_at"]) >= before + timedelta(days=1)
    assert _utc(released["now"]) < before + timedelta(days=1)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"advance": -1}, "body.advance"),
        ({"advance": 1.5}, "body.advance"),
        ({"advance": 3153600001}, "body.advance"),
        ({"now": "yesterday"}, "body.now"),
        ({"now": "2026-03-15T10:30:00"}, "body.now"),
        ({"now": "2026-03-15"}, "body.now"),
        ({"frozen": "no"}, "body.frozen"),
        ([], "body"),
    ],
)
def test_clock_rejects_invalid_bodies_and_stays_put(
    make: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make()
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})

    response = client.put("/__mock/clock", json=body)

    error = assert_error(response, 400, "invalid_request_error")
    assert location in [detail["location"] for detail in error["details"]]
    assert client.get("/__mock/clock").json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}


def test_clock_rejects_a_non_json_or_missing_body(make: Callable[..., TestClient]) -> None:
    client = make()
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})

    plain = client.put(
        "/__mock/clock", content=b'{"advance": 60}', headers={"Content-Type": "text/plain"}
    )
    untyped = client.put("/__mock/clock", content=b'{"advance": 60}')
    empty = client.put("/__mock/clock")

    error = assert_error(plain, 415, "unsupported_media_type_error")
    assert error["param"] == "Content-Type"
    assert error["details"] == [
        {"location": "header.Content-Type", "message": "must be application/json, not 'text/plain'"}
    ]
    assert assert_error(untyped, 415, "unsupported_media_type_error")["details"] == [
        {"location": "header.Content-Type", "message": "is missing"}
    ]
    assert assert_error(empty, 400, "invalid_request_error")["details"] == [
        {"location": "body", "message": "is required"}
    ]
    assert client.get("/__mock/clock").json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}


def test_clock_accepts_a_year_before_1000(make: Callable[..., TestClient]) -> None:
    # admin.yaml's Timestamp allows any four-digit year; the answer must keep all four digits.
    response = make().put("/__mock/clock", json={"now": "0999-12-31T23:59:59Z"})

    assert response.status_code == 200, response.text
    assert response.json() == {"now": "0999-12-31T23:59:59Z", "frozen": True}


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"now": "0001-01-01T00:00:00+01:00"}, "body.now"),
        ({"now": "9999-12-31T23:59:59-01:00"}, "body.now"),
        ({"now": "9999-12-31T23:59:59Z", "advance": 3153600000}, "body.advance"),
    ],
)
def test_clock_outside_the_representable_range_is_a_400_not_a_crash(
    make: Callable[..., TestClient], body: dict[str, Any], location: str
) -> None:
    client = make()

    response = client.put("/__mock/clock", json=body)

    error = assert_error(response, 400, "invalid_request_error")
    assert location in [detail["location"] for detail in error["details"]]
