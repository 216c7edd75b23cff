"""The mka1-mock command, run as a real process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import AUTH, PROMPTS

COMMAND = [sys.executable, "-m", "mka1_mock"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``mka1-mock --port 0``, its URL read from what it prints."""
    proc = subprocess.Popen(
        [*COMMAND, "--port", "0", "--seed", "1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    yield proc, match.group(1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stderr.close()


def test_cli_serves_logs_each_request_and_stops_on_ctrl_c(
    process: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = process
    request = urllib.request.Request(
        url + PROMPTS,
        data=json.dumps({"name": "a", "template": "t"}).encode(),
        headers=AUTH | {"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        assert json.load(response)["id"].startswith("prompt_")

    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert re.search(rf"POST {PROMPTS} createPrompt 201 \d+\.\dms", stderr), stderr


def test_cli_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("mka1-mock, version ")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        pytest.param(["--port", "70000"], "70000 is not in the range", id="port-out-of-range"),
        pytest.param(["--log-level", "loud"], "'loud' is not one of", id="bad-log-level"),
        pytest.param(["--seed", "x"], "'x' is not a valid integer", id="bad-seed"),
        pytest.param(["--latency", "fast"], "'fast' is not MS or MIN-MAX", id="bad-latency"),
        pytest.param(["--latency", "300-100"], "must be 0 <= MIN <= MAX", id="latency-backwards"),
    ],
)
def test_cli_bad_option_exits_non_zero_with_a_reason(args: list[str], reason: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert reason in result.stderr


def test_cli_bad_spec_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: [\n")
    result = run("--spec", str(spec), "--port", "0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"mka1-mock: error: {spec}: not valid YAML")


def test_cli_bad_fault_file_exits_non_zero_naming_the_rule(tmp_path: Path) -> None:
    rules = tmp_path / "faults.json"
    rules.write_text('{"faults": [{"operation": "listPrompts", "status": 413}]}')
    result = run("--faults", str(rules), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"mka1-mock: error: {rules}: faults[0].status: 413 is not a status listPrompts can answer"
    )


def test_cli_port_in_use_exits_non_zero(process: tuple[subprocess.Popen[str], str]) -> None:
    _, url = process
    port = url.rsplit(":", 1)[1]
    result = run("--port", port)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
