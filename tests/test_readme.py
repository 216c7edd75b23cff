"""The README's examples and commands are the ones that work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mka1_mock.seeding import check_fixture
from mka1_mock.server import MockServer

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def code_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)
    [block] = [block for block in blocks if containing in block]
    return str(block)


def test_readme_test_command_is_what_ci_runs() -> None:
    test_command = code_block("bash", "python -m pytest").strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_sdk_example_runs_against_a_real_server(server: MockServer) -> None:
    example = code_block("python", "sdk.llm.prompts.rollback")
    exec(example.replace("http://127.0.0.1:8000", server.url), {})
    assert list(server.session.violations) == []


def test_readme_mock_server_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    exec(code_block("python", "print(server.url)"), {})
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", capsys.readouterr().out)


def test_readme_retry_example_runs() -> None:
    exec(code_block("python", 'server.fail("createPrompt"'), {})


def test_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=code_block("python", "def test_"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_readme_fixture_example_is_the_documented_format() -> None:
    example = json.loads(code_block("json", '"prompts"').replace("pver_...", "pver_" + "0" * 32))
    check_fixture(example, "README.md")


def test_readme_fixture_error_example_is_what_the_mock_says(tmp_path: Path) -> None:
    from mka1_mock import StartupError
    from mka1_mock.seeding import read_fixture

    bad = tmp_path / "fixtures" / "bad.json"
    bad.parent.mkdir()
    bad.write_text(
        '{"prompts": [{"owner": {"token": "k"}, "name": "n", "active_version": 2,'
        ' "versions": [{"template": "t"}]}]}'
    )
    message = re.search(r"`mka1-mock: error: fixtures/bad\.json: (.*?)`", README)
    assert message
    with pytest.raises(StartupError) as raised:
        read_fixture(bad)
    assert str(raised.value) == f"{bad}: {message.group(1)}"
