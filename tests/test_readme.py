"""The README's examples and commands are the ones that work."""

from __future__ import annotations

import re
from pathlib import Path

from mka1_mock.server import MockServer

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_test_command_is_what_ci_runs() -> None:
    commands = [block.strip() for block in code_blocks("bash")]
    test_command = next(command for command in commands if "pytest" in command)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_sdk_example_runs_against_a_real_server(server: MockServer) -> None:
    [example] = code_blocks("python")
    exec(example.replace("http://127.0.0.1:8000", server.url), {})
    assert list(server.mock.violations) == []
