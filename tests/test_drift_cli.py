"""``mka1-mock drift`` as a real process: what it refuses (exit 2, one line), and a target that
cannot be reached at all. Reports and JUnit files of real runs: test_drift_same.py,
test_drift_target.py."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers import mka1_mock_run

HAR = '{"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}'


@pytest.fixture
def refused() -> Iterator[str]:
    """A loopback URL where nothing listens (the port is bound, not listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param([], "give --target URL (with --token) or --har FILE", id="neither"),
        pytest.param(
            ["--target", "http://127.0.0.1:9", "--har", "{har}"],
            "give --target URL (with --token) or --har FILE",
            id="both",
        ),
        pytest.param(
            ["--target", "http://127.0.0.1:9"], "--target needs --token KEY", id="no-token"
        ),
        pytest.param(
            ["--target", "http://127.0.0.1:9", "--token", ""],
            "--target needs --token KEY",
            id="empty-token",
        ),
    ],
)
def test_drift_cli_refuses_what_it_cannot_run_in_one_line(
    args: list[str], line: str, tmp_path: Path
) -> None:
    har = tmp_path / "empty.har"
    har.write_text(HAR)
    result = mka1_mock_run("drift", *(arg.format(har=har) for arg in args))
    assert result.returncode == 2
    assert result.stderr == f"mka1-mock: error: {line}\n"
    assert result.stdout == ""


def test_drift_cli_refuses_a_file_that_is_not_a_har_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text("[1, 2")
    result = mka1_mock_run("drift", "--har", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"mka1-mock: error: {bad}: not a HAR file")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--har", "missing.har"], id="har-missing"),
        pytest.param(
            ["--target", "http://127.0.0.1:9", "--token", "k", "--timeout", "0"], id="timeout-0"
        ),
    ],
)
def test_drift_cli_rejects_a_bad_option_value(args: list[str], tmp_path: Path) -> None:
    result = mka1_mock_run("drift", *args)
    assert result.returncode == 2
    assert "Error: Invalid value" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(["--report", "{dir}/no/r.json"], "r.json", id="report-folder-missing"),
        pytest.param(["--junit", "{dir}/no/r.xml"], "r.xml", id="junit-folder-missing"),
        pytest.param(
            ["--target", "127.0.0.1:8000", "--token", "k"], "127.0.0.1:8000", id="target-no-scheme"
        ),
        pytest.param(["--target", "ftp://example.com", "--token", "k"], "ftp://", id="ftp-scheme"),
    ],
)
def test_drift_cli_bad_destination_exits_2_with_one_line(
    args: list[str], named: str, tmp_path: Path
) -> None:
    """As ``mka1-mock proxy`` does for the same mistakes (test_proxy_cli.py): refused up front,
    not found out after the whole run (whose exit 1 would read as "differences")."""
    har = tmp_path / "empty.har"
    har.write_text(HAR)
    source = [] if "--target" in args else ["--har", str(har)]
    result = mka1_mock_run("drift", *source, *(arg.format(dir=tmp_path) for arg in args))
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(result.stderr.splitlines()) == 1, result.stderr[-2000:]
    assert result.stderr.startswith("mka1-mock: error: ")
    assert named in result.stderr


def test_drift_cli_empty_recording_replays_nothing_and_agrees(tmp_path: Path) -> None:
    har = tmp_path / "empty.har"
    har.write_text(HAR)
    result = mka1_mock_run("drift", "--har", str(har), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert "0 exchanges replayed: 0 agree, 0 differ." in result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"] == {"exchanges": 0, "agree": 0, "differ": 0}


def test_drift_cli_unreachable_target_stops_early_and_exits_1(refused: str, tmp_path: Path) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    result = mka1_mock_run(
        "drift", "--target", refused, "--token", "k", "--report", str(report),
        "--junit", str(junit),
    )  # fmt: skip

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    data = json.loads(report.read_text())
    assert (
        data["summary"]["stopped"] == f"the target {refused} could not be reached 3 times in a row"
    )
    assert (
        f"Stopped early: the target {refused} could not be reached 3 times in a row."
        in result.stderr
    )
    assert [p["result"] for p in data["probes"]] == ["differ"] * 3
    assert data["cleanup"] == {"created": 0, "deleted": 0, "leftovers": []}
    assert "Created 0 prompts on the target, deleted 0." in result.stderr
    cases = ElementTree.parse(junit).getroot().findall("testsuite/testcase")
    assert [case.get("name") for case in cases] == [
        "create-prompt",
        "get-prompt",
        "get-prompt-rendered",
    ]
    failures = [case.find("failure") for case in cases]
    assert all(f is not None and "could not be reached" in f.get("message", "") for f in failures)


def test_drift_cli_trailing_slash_of_the_target_is_dropped(refused: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = mka1_mock_run(
        "drift", "--target", refused + "/", "--token", "k", "--report", str(report)
    )
    assert result.returncode == 1
    assert json.loads(report.read_text())["target"] == refused
