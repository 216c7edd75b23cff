"""The admin API's journal (``/__mock/requests``) and its lists of violations and crashes."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient

from mka1_mock import create_app
from mka1_mock.handlers.prompts import HANDLERS
from tests.helpers import (
    AUTH,
    PROMPTS,
    assert_error,
    crashes,
    create_prompt,
    drops_the_name,
    journal_of,
    schema_errors,
    state_of,
)

JOURNAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
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
    "fault",
    "crash",
}


def test_journal_entry_records_request_and_response(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    body = {
        "name": "greeting",
        "template": "Hi {{n}}",
        "metadata": {"when": "2026-03-15T10:30:00Z", "n": 1.5},
        "unknown_field": [True, None],
    }
    headers = AUTH | {"X-On-Behalf-Of": "alice", "X-Trace": "abc"}
    response = client.post(PROMPTS, json=body, headers=headers)
    assert response.status_code == 201

    [entry] = journal_of(client)

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


def test_journal_records_query_path_and_order(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    prompt = create_prompt(client, headers=AUTH)
    listed = client.get(PROMPTS, params={"limit": "2", "order": "asc"}, headers=AUTH)
    got = client.get(
        f"{PROMPTS}/{prompt['id']}", params={"variables": '{"name": "x"}'}, headers=AUTH
    )

    entries = journal_of(client)

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


def test_journal_filters_by_operation(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    first = create_prompt(client, headers=AUTH, name="a")
    client.get(PROMPTS, headers=AUTH)
    second = create_prompt(client, headers=AUTH, name="b")
    client.get(f"{PROMPTS}/{first['id']}", headers=AUTH)

    creates = journal_of(client, operation="createPrompt")
    gets = journal_of(client, operation="getPrompt")

    assert [entry["response"]["id"] for entry in creates] == [first["id"], second["id"]]
    assert [entry["operation_id"] for entry in gets] == ["getPrompt"]
    assert journal_of(client, operation="rollbackPrompt") == []
    assert journal_of(client, operation="health") == []
    assert len(journal_of(client)) == 4


def test_journal_operation_filter_must_not_be_empty(make_client: Callable[..., TestClient]) -> None:
    client = make_client()

    error = assert_error(client.get("/__mock/requests", params={"operation": ""}), 400)

    assert error["param"] == "operation"
    assert error["details"][0]["location"] == "query.operation"


def test_delete_requests_empties_the_journal_only(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    create_prompt(client, headers=AUTH)
    client.get(PROMPTS, headers=AUTH)

    response = client.delete("/__mock/requests")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert journal_of(client) == []
    assert len(state_of(client)["prompts"]) == 1
    client.get(PROMPTS, headers=AUTH)
    assert [entry["operation_id"] for entry in journal_of(client)] == ["listPrompts"]


def test_journal_records_a_rejected_request_with_its_request_errors(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()

    response = client.get(PROMPTS, params={"limit": 0}, headers=AUTH)
    unauthorized = client.get(PROMPTS)

    [rejected, refused] = journal_of(client)
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


def test_journal_records_an_unparsable_body_as_text(make_client: Callable[..., TestClient]) -> None:
    client = make_client()

    malformed = client.post(
        PROMPTS, content=b'{"name": "a",', headers=AUTH | {"Content-Type": "application/json"}
    )
    plain = client.post(PROMPTS, content=b"name=a", headers=AUTH | {"Content-Type": "text/plain"})

    assert (malformed.status_code, plain.status_code) == (400, 415)
    [bad_json, not_json] = journal_of(client)
    # admin.yaml: "The request body as JSON when it parses, else as text, else null."
    assert bad_json["body"] == '{"name": "a",'
    assert not_json["body"] == "name=a"
    assert bad_json["request_errors"][0]["location"] == "body"
    assert not_json["request_errors"][0]["location"] == "header.Content-Type"


def test_journal_stays_readable_after_a_number_too_big_for_a_float(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()

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


def test_admin_calls_are_not_journaled(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    create_prompt(client, headers=AUTH)
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

    assert [entry["operation_id"] for entry in journal_of(client)] == ["createPrompt"]


# --- violations and crashes ---------------------------------------------------------------------


def test_violations_are_empty_normally(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    prompt = create_prompt(client, headers=AUTH)
    client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH)
    client.get(PROMPTS, params={"limit": 0}, headers=AUTH)

    response = client.get("/__mock/violations")

    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_violations_list_a_broken_handler_and_its_journal_entry_blames_the_mock() -> None:
    app = create_app(handlers=HANDLERS | {"getPrompt": drops_the_name})
    with TestClient(app) as client:
        prompt = create_prompt(client, headers=AUTH)
        response = client.get(f"{PROMPTS}/{prompt['id']}", headers=AUTH)
        violations = client.get("/__mock/violations")
        entries = journal_of(client, operation="getPrompt")

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
    assert_error(entry["response"], 500)
    assert entry["request_errors"] == []
    assert entry["response_errors"] == violation["details"]
    assert schema_errors("JournalEntry", entry) == []
    assert len(app.state.session.violations) == 1


def test_a_crashing_handler_is_journaled_and_listed_as_a_crash() -> None:
    app = create_app(handlers=HANDLERS | {"listPrompts": crashes})
    with TestClient(app) as client:
        response = client.get(PROMPTS, headers=AUTH)
        [entry] = journal_of(client)
        violations = client.get("/__mock/violations").json()
        listed = client.get("/__mock/crashes")

    assert_error(response, 500)
    assert entry["status"] == 500
    assert assert_error(entry["response"], 500)["message"] == (
        "listPrompts failed inside the mock: RuntimeError('boom')"
    )
    assert entry["request_errors"] == []
    assert entry["response_errors"] == []
    assert entry["crash"] == "RuntimeError('boom')"
    assert schema_errors("JournalEntry", entry) == []
    assert violations == {"data": []}
    assert listed.status_code == 200
    [crash] = listed.json()["data"]
    assert schema_errors("Crash", crash) == []
    assert (crash["method"], crash["path"], crash["operation_id"]) == (
        "GET",
        PROMPTS,
        "listPrompts",
    )
    assert crash["error"] == "RuntimeError('boom')"
    assert "RuntimeError: boom" in crash["traceback"]
    assert [str(c).splitlines()[0] for c in app.state.session.crashes] == [
        f"GET {PROMPTS} (listPrompts) crashed: RuntimeError('boom')"
    ]
