"""Fixture files: the shipped ones load, bad ones stop start-up naming the file and the path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mka1_mock import StartupError, create_app
from mka1_mock.seeding import fixture_files, read_fixtures
from mka1_mock.settings import Settings
from tests.helpers import CLASSIFIER_ID, DEMO, FIXTURES, GREETING_ID, PROMPTS


def prompt(**fields: Any) -> dict[str, Any]:
    return {"owner": {"token": "k"}, "name": "n", "versions": [{"template": "t"}]} | fields


def write(tmp_path: Path, data: Any, name: str = "seed.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_seeding_shipped_fixtures_serve_the_docs_examples() -> None:
    app = create_app(Settings(fixtures=(FIXTURES,)))
    with TestClient(app) as client:
        classifier = client.get(f"{PROMPTS}/{CLASSIFIER_ID}", headers=DEMO).json()
        old = client.get(f"{PROMPTS}/{CLASSIFIER_ID}?version=1", headers=DEMO).json()
        greeting = client.get(
            f"{PROMPTS}/{GREETING_ID}",
            params={"variables": '{"name":"Alice","company":"Acme"}'},
            headers=DEMO | {"X-On-Behalf-Of": "user_123"},
        ).json()
        hidden = client.get(f"{PROMPTS}/{GREETING_ID}", headers=DEMO)

    assert classifier["name"] == "Customer Support Classifier"
    assert (classifier["active_version"], classifier["latest_version"]) == (2, 2)
    assert classifier["active_template"].startswith("You are a customer support classifier.")
    assert old["active_template"].startswith("Classify the following customer message")
    assert classifier["created_at"] == "2026-03-15T10:30:00Z"
    assert classifier["updated_at"] == "2026-03-16T09:00:00Z"
    assert greeting["rendered_template"] == "Hello, Alice! Welcome to Acme."
    assert hidden.status_code == 404  # the greeting belongs to demo-key acting for user_123
    assert list(app.state.session.violations) == []


def test_seeding_folder_reads_json_and_yaml_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, {"prompts": [prompt(name="b")]}, "b.json")
    write(
        tmp_path,
        "prompts:\n  - owner: {token: k}\n    name: a\n    versions: [{template: t}]\n",
        "a.yaml",
    )
    write(tmp_path, "not a fixture", "notes.txt")
    assert [p.name for p in fixture_files([tmp_path])] == ["a.yaml", "b.json"]
    assert [d["prompts"][0]["name"] for d in read_fixtures([tmp_path])] == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param("{", "not valid JSON", id="bad-json"),
        pytest.param([], "(root): must be an object", id="not-an-object"),
        pytest.param(
            {"prompts": [prompt(name="")]}, "prompts[0].name: must not be empty", id="empty-name"
        ),
        pytest.param(
            {"prompts": [prompt(versions=[])]}, "prompts[0].versions: must have", id="no-versions"
        ),
        pytest.param(
            {"prompts": [{"name": "n", "versions": [{"template": "t"}]}]},
            "prompts[0].owner: is required",
            id="no-owner",
        ),
        pytest.param(
            {"prompts": [prompt(), prompt(active_version=3)]},
            "prompts[1].active_version: must be a version that exists (1..1)",
            id="active-beyond-latest",
        ),
        pytest.param(
            {"prompts": [prompt(id="prompt_" + "a" * 32)] * 2},
            "prompts[1].id: prompt_" + "a" * 32 + " is already taken",
            id="duplicate-id",
        ),
        pytest.param(
            {"prompts": [prompt(id="prompt_xyz")]}, "prompts[0].id: must match", id="bad-id"
        ),
        pytest.param(
            {"prompts": [prompt(created_at="yesterday")]},
            "prompts[0].created_at: must",
            id="bad-timestamp",
        ),
        pytest.param(
            {"prompts": [prompt(extra=1)]}, "prompts[0]: has properties", id="unknown-field"
        ),
    ],
)
def test_seeding_bad_file_stops_startup_naming_file_and_path(
    tmp_path: Path, data: Any, where: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(StartupError) as raised:
        create_app(Settings(fixtures=(path,)))
    assert str(raised.value).startswith(f"{path}: ")
    assert where in str(raised.value)


def test_seeding_missing_file_stops_startup(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"missing\.json: cannot read the fixture file"):
        create_app(Settings(fixtures=(tmp_path / "missing.json",)))


def test_seeding_ids_come_from_the_seed_when_absent(tmp_path: Path) -> None:
    path = write(tmp_path, {"prompts": [prompt()]})

    def first_id() -> str:
        app = create_app(Settings(seed=3, fixtures=(path,)))
        with TestClient(app, headers={"Authorization": "Bearer k"}) as client:
            return str(client.get(PROMPTS).json()["first_id"])

    assert first_id() == first_id()
