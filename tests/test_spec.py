"""The spec: valid, complete, and start-up fails loudly on a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from mka1_mock import StartupError, create_app
from mka1_mock.handlers.prompts import HANDLERS
from mka1_mock.settings import Settings
from mka1_mock.spec import Spec, default_spec_path
from tests.helpers import SDK_OPERATIONS

ROOT = Path(__file__).parent.parent


def test_spec_top_level_file_is_valid_openapi_31() -> None:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_spec_packaged_copy_is_the_top_level_file() -> None:
    assert default_spec_path().read_text() == (ROOT / "openapi.yaml").read_text()


def test_spec_has_exactly_the_sdk_operations_with_their_success_codes() -> None:
    spec = Spec.load()
    statuses = {op.operation_id: op.success_status for op in spec.operations}
    assert set(statuses) == SDK_OPERATIONS
    assert {name for name, status in statuses.items() if status == 201} == {
        "createPrompt",
        "createPromptVersion",
    }


def test_spec_every_operation_needs_bearer_auth_and_declares_errors() -> None:
    document = Spec.load().document
    assert document["security"] == [{"bearerAuth": []}]
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "security" not in operation
            assert {"400", "401", "500"} <= set(operation["responses"])


def test_spec_links_reach_every_operation_from_create() -> None:
    document = Spec.load().document
    create = document["paths"]["/api/v1/llm/prompts"]["post"]["responses"]["201"]["links"]
    version = document["paths"]["/api/v1/llm/prompts/{id}/versions"]["post"]
    reached = {"createPrompt"} | {link["operationId"] for link in create.values()}
    reached |= {link["operationId"] for link in version["responses"]["201"]["links"].values()}
    assert reached == SDK_OPERATIONS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_spec_load_names_the_file_for_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "openapi: [3.1\n")
    with pytest.raises(StartupError, match=rf"^{path}: not valid YAML"):
        Spec.load(path)


def test_spec_load_names_the_path_inside_the_file(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    document["paths"]["/api/v1/llm/prompts"]["get"]["responses"] = "nope"
    path = write(tmp_path, yaml.safe_dump(document))
    with pytest.raises(StartupError, match=r": paths//api/v1/llm/prompts/get/responses: "):
        Spec.load(path)


def test_spec_load_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="cannot read the spec"):
        Spec.load(tmp_path / "missing.yaml")


def test_startup_fails_for_an_operation_without_handler() -> None:
    handlers = {k: v for k, v in HANDLERS.items() if k != "rollbackPrompt"}
    with pytest.raises(StartupError, match="operations without a handler: rollbackPrompt"):
        create_app(handlers=handlers)


def test_startup_fails_for_a_handler_without_operation() -> None:
    handlers = HANDLERS | {"patchPrompt": HANDLERS["updatePrompt"]}
    with pytest.raises(StartupError, match="operations not in the spec: patchPrompt"):
        create_app(handlers=handlers)


def test_startup_uses_the_spec_path_setting(tmp_path: Path) -> None:
    path = write(tmp_path, "openapi: 3.1.0\n")
    with pytest.raises(StartupError, match=str(path)):
        create_app(Settings(spec_path=path))


def test_spec_load_names_the_path_of_a_bad_nested_schema(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    document["components"]["schemas"]["Order"]["type"] = "strin"
    path = write(tmp_path, yaml.safe_dump(document))
    with pytest.raises(StartupError, match=r": components/schemas/Order/type: 'strin'"):
        Spec.load(path)


def test_spec_check_is_remembered_only_for_a_valid_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKA1_MOCK_CACHE", str(tmp_path / "cache"))
    good = write(tmp_path, (ROOT / "openapi.yaml").read_text())
    Spec.load(good)
    assert len(list((tmp_path / "cache").iterdir())) == 1
    Spec.load(good)  # remembered: still one marker
    assert len(list((tmp_path / "cache").iterdir())) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.1.0\n")
    with pytest.raises(StartupError):
        Spec.load(bad)
    with pytest.raises(StartupError):  # an invalid text is checked, and refused, every time
        Spec.load(bad)
    assert len(list((tmp_path / "cache").iterdir())) == 1
