"""A drift run cut short (a dropped connection, a target that goes away for a while or for good,
Ctrl-C) or unable to read what it created. Afterwards no prompt of the run is left on the
target, or those left are listed with their IDs and X-On-Behalf-Of; the exit is non-zero."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mka1_mock.drift.probes import SCENARIO
from mka1_mock.drift.runner import run
from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import AlteredTarget, Forwarded, mka1_mock_run

TOKEN = "drift-token"


@pytest.fixture(scope="module")
def shared() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def target(shared: MockServer) -> MockServer:
    """A mock as new, as the target (or behind one)."""
    shared.reset()
    return shared


def drift(url: str, report: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = mka1_mock_run("drift", "--target", url, "--token", TOKEN, "--report", str(report))
    return result, json.loads(report.read_text())


def left_on(server: MockServer) -> list[dict[str, Any]]:
    """What is on the target after the run: each prompt's ID and X-On-Behalf-Of."""
    state = httpx.get(server.url + "/__mock/state").json()
    return by_id(
        {"id": p["id"], "on_behalf_of": p["owner"].get("on_behalf_of")} for p in state["prompts"]
    )


def by_id(prompts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(prompts, key=lambda prompt: str(prompt["id"]))


def differing(report: dict[str, Any]) -> dict[str, list[str]]:
    return {
        probe["name"]: [found for step in probe["steps"] for found in step["differences"]]
        for probe in report["probes"]
        if probe["result"] == "differ"
    }


def test_drift_connection_dropped_once_is_reported_on_that_probe_and_cleaned_up(
    target: MockServer, tmp_path: Path
) -> None:
    target.fail("getPromptVersion", drop=True, times=1)
    result, report = drift(target.url, tmp_path / "report.json")

    assert result.returncode == 1
    [(name, [found])] = differing(report).items()
    assert name == "get-version"
    assert found.startswith("the target could not be reached: ")
    [probe] = [p for p in report["probes"] if p["name"] == "get-version"]
    assert [s["target"] for s in probe["steps"]] == [201, 201, 0]
    assert len(report["probes"]) == len(SCENARIO)  # the run went on
    assert report["summary"]["stopped"] is None
    assert left_on(target) == []
    assert report["cleanup"] == {"created": 32, "deleted": 32, "leftovers": []}


def test_drift_create_whose_answer_is_lost_leaves_nothing_unlisted(
    target: MockServer, tmp_path: Path
) -> None:
    """The target makes the prompt, then the connection drops before the answer: the run never
    learns the ID, but it knows the owner it created it for."""
    target.fail("createPrompt", drop=True, times=1, when="after")
    result, report = drift(target.url, tmp_path / "report.json")

    assert result.returncode == 1
    assert list(differing(report)) == ["create-prompt"]
    left = left_on(target)
    assert by_id(report["cleanup"]["leftovers"]) == left, "prompts left on the target, not listed"
    for prompt in left:
        assert f"{prompt['id']} (X-On-Behalf-Of: {prompt['on_behalf_of']})" in result.stderr


def created_with_200(answer: Forwarded) -> None:
    if answer.status == 201:
        answer.status = 200


def test_drift_creates_answered_200_are_still_cleaned_up_or_listed(
    target: MockServer, tmp_path: Path
) -> None:
    """A target that answers createPrompt with 200 instead of 201: a difference to report on
    every probe that creates, and prompts the run made all the same."""
    with ThreadedServer(AlteredTarget(target.url, created_with_200)) as other:
        result, report = drift(other.url, tmp_path / "report.json")

    assert result.returncode == 1
    [create] = [p for p in report["probes"] if p["name"] == "create-prompt"]
    assert create["steps"][0]["differences"] == ["status: mock 201, target 200"]
    left = left_on(target)
    assert by_id(report["cleanup"]["leftovers"]) == left, f"{len(left)} prompts left, none listed"
    assert report["cleanup"]["created"] == 32


def test_drift_target_gone_for_good_stops_and_lists_what_it_left(
    target: MockServer, tmp_path: Path
) -> None:
    """After five requests every connection is reset, cleanup included."""
    with ThreadedServer(AlteredTarget(target.url, down_after=5)) as gone:
        url = gone.url
        result, report = drift(url, tmp_path / "report.json")

    assert result.returncode == 1
    left = left_on(target)
    assert len(left) == 3  # the creates among the first five requests
    assert by_id(report["cleanup"]["leftovers"]) == left
    assert report["cleanup"] | {"leftovers": None} == {
        "created": 3,
        "deleted": 0,
        "leftovers": None,
    }
    assert "Left on the target (delete them with these headers):" in result.stderr
    for prompt in left:
        assert prompt["on_behalf_of"].startswith("mka1-mock-drift-")
        assert f"  {prompt['id']} (X-On-Behalf-Of: {prompt['on_behalf_of']})" in result.stderr
    stopped = report["summary"]["stopped"]
    assert stopped == f"the target {url} could not be reached 3 times in a row"
    assert f"Stopped early: {stopped}." in result.stderr
    unreachable = differing(report)
    assert len(unreachable) == 3 and len(report["probes"]) < len(SCENARIO)
    assert all(
        found[0].startswith("the target could not be reached") for found in unreachable.values()
    )


def test_drift_target_back_by_cleanup_time_is_left_empty(target: MockServer) -> None:
    """Down long enough to stop the run, back up while it cleans up."""
    with ThreadedServer(AlteredTarget(target.url, down_after=5, down_for=4)) as flaky:
        url = flaky.url
        outcome = run(url, TOKEN)

    assert outcome.stopped == f"the target {url} could not be reached 3 times in a row"
    assert left_on(target) == []
    assert (outcome.created, outcome.deleted, outcome.leftovers) == (3, 3, [])


def as_a_terminal_would() -> None:
    """SIGINT as a terminal's Ctrl-C finds it: a shell starts background jobs (a CI script's
    ``&``) with it ignored, and the tests may run in one."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_drift_ctrl_c_halfway_cleans_up_and_exits_non_zero(
    target: MockServer, signum: signal.Signals
) -> None:
    """SIGINT (or a CI job's SIGTERM) while the target holds the first listPromptVersions
    request (the list-versions probe, with its prompt made and given versions)."""
    app = AlteredTarget(
        target.url, hold=lambda method, path: path.endswith("/versions") and method == "GET"
    )
    with ThreadedServer(app) as slow:
        # -X faulthandler: should it hang, SIGABRT shows where.
        command = [sys.executable, "-X", "faulthandler", "-m", "mka1_mock", "drift"]
        command += ["--target", slow.url, "--token", TOKEN]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=as_a_terminal_would,
        )
        try:
            assert app.held.wait(30), "the run never reached list-versions"
            made = len(target.requests("createPrompt"))
            proc.send_signal(signum)
            try:
                stdout, stderr = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                pytest.fail(f"no exit 30 s after Ctrl-C; its threads:\n{proc.communicate()[1]}")
        finally:
            app.release()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert left_on(target) == []
    assert f"Created {made} prompts on the target, deleted {made}." in stderr
    assert "Stopped early: interrupted." in stderr
    assert "Traceback" not in stderr
    names = [p.name for p in SCENARIO]
    rows = [line.split()[0] for line in stdout.splitlines()[2:]]
    assert rows == names[: names.index("list-versions")]  # the probes run to their end
    assert proc.returncode == 130, "an interrupted run, with most probes never run, must fail"
