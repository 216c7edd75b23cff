"""The mock checks its own answers: a contract-breaking response becomes the documented 500."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from mka1_mock import create_app
from mka1_mock.handlers import Call
from mka1_mock.handlers.prompts import HANDLERS
from mka1_mock.session import Session
from tests.helpers import AUTH, PROMPTS, assert_error, crashes, create_prompt, drops_the_name


def test_selfcheck_contract_breaking_response_becomes_500() -> None:
    app = create_app(handlers=HANDLERS | {"getPrompt": drops_the_name})
    with TestClient(app, headers=AUTH) as client:
        created = create_prompt(client, name="a", template="t")
        response = client.get(f"{PROMPTS}/{created['id']}")

    error = assert_error(response, 500, param=None, mentions="getPrompt")
    assert {"location": "response.body.name", "message": "is required"} in error["details"]
    [violation] = list(app.state.session.violations)
    assert violation.operation_id == "getPrompt"
    assert violation.status == 200
    assert violation.path == f"{PROMPTS}/{created['id']}"


def test_selfcheck_undeclared_status_is_a_violation() -> None:
    def teapot(session: Session, call: Call) -> dict[str, Any]:
        from mka1_mock.errors import ApiError

        class Teapot(ApiError):
            status = 418

        raise Teapot("short and stout")

    app = create_app(handlers=HANDLERS | {"listPrompts": teapot})
    with TestClient(app, headers=AUTH) as client:
        response = client.get(PROMPTS)

    assert_error(response, 500, mentions="418 is not a status this operation declares")
    assert len(app.state.session.violations) == 1


def test_selfcheck_crashing_handler_is_a_documented_500_and_changes_nothing() -> None:
    app = create_app(handlers=HANDLERS | {"deletePrompt": crashes})
    with TestClient(app, headers=AUTH) as client:
        created = create_prompt(client, name="a", template="t")
        response = client.delete(f"{PROMPTS}/{created['id']}")
        still_there = client.get(f"{PROMPTS}/{created['id']}")

    assert assert_error(response, 500)["message"] == (
        "deletePrompt failed inside the mock: RuntimeError('boom')"
    )
    assert still_there.status_code == 200
    assert list(app.state.session.violations) == []
    [crash] = app.state.session.crashes
    assert (crash.operation_id, crash.error) == ("deletePrompt", "RuntimeError('boom')")
