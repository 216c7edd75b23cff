"""``mka1-mock drift --har``: the official SDK's round trip of all nine operations, recorded by the
proxy, replayed against a fresh mock (no difference) and against a target that differs (the
right exchanges differ)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import (
    SDK_OPERATIONS,
    AlteredTarget,
    Forwarded,
    mka1_mock_run,
    prompts_in,
    record_round_trip,
)

# The round trip's exchanges, in order, by operation.
EXCHANGES = [
    "createPrompt",
    "createPrompt",
    "listPrompts",
    "getPrompt",
    "updatePrompt",
    "createPromptVersion",
    "createPromptVersion",
    "listPromptVersions",
    "getPromptVersion",
    "rollbackPrompt",
    "deletePrompt",
]


@dataclass(frozen=True)
class Recording:
    har: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture(scope="module")
def recording(upstream: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """The round trip through the proxy, recorded with the proxy's default redaction."""
    har = tmp_path_factory.mktemp("har") / "round-trip.har"
    ids = record_round_trip(upstream.url, har)
    return Recording(har, ids)


def replay(
    recording: Recording, folder: Path, *args: str
) -> tuple[int, str, dict[str, Any], ElementTree.Element]:
    """``drift --har`` with ``args``: exit status, stderr, JSON report and JUnit XML."""
    report, junit = folder / "report.json", folder / "junit.xml"
    result = mka1_mock_run(
        "drift", "--har", str(recording.har), *args, "--report", str(report), "--junit", str(junit)
    )
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(report.read_text())
    return result.returncode, result.stderr, data, ElementTree.parse(junit).getroot()


def add_labels(answer: Forwarded) -> None:
    for prompt in prompts_in(answer.body):
        prompt["labels"] = []


def test_drift_har_recording_holds_all_nine_operations(recording: Recording) -> None:
    entries = json.loads(recording.har.read_text())["log"]["entries"]
    assert [e["_operation_id"] for e in entries] == EXCHANGES
    assert set(EXCHANGES) == SDK_OPERATIONS
    headers = [{h["name"].lower(): h["value"] for h in e["request"]["headers"]} for e in entries]
    [authorization] = {h["authorization"] for h in headers}
    [on_behalf_of] = {h["x-on-behalf-of"] for h in headers}
    assert re.fullmatch(r"Bearer redacted-\d", authorization)  # no secret in the recording
    assert re.fullmatch(r"redacted-\d", on_behalf_of)


def test_drift_har_replay_against_a_fresh_mock_agrees_on_every_exchange(
    recording: Recording, tmp_path: Path
) -> None:
    status, stderr, report, junit = replay(recording, tmp_path)

    assert status == 0, stderr
    assert "11 exchanges replayed: 11 agree, 0 differ." in stderr
    assert report["summary"] == {"exchanges": 11, "agree": 11, "differ": 0}
    assert report["against"] == "a fresh mock"
    exchanges = report["exchanges"]
    assert [e["operation_id"] for e in exchanges] == EXCHANGES
    assert [(e["recorded"], e["replayed"]) for e in exchanges] == [
        (201, 201),
        (201, 201),
        (200, 200),
        (200, 200),
        (200, 200),
        (201, 201),
        (201, 201),
        (200, 200),
        (200, 200),
        (200, 200),
        (200, 200),
    ]
    assert all(e["differences"] == [] for e in exchanges)
    assert junit.get("tests") == "11" and junit.get("failures") == "0"


def test_drift_har_replay_against_the_same_implementation_agrees(
    recording: Recording, upstream: MockServer, tmp_path: Path
) -> None:
    upstream.reset()
    status, stderr, report, _ = replay(recording, tmp_path, "--against", upstream.url)

    assert status == 0, stderr
    assert report["summary"] == {"exchanges": 11, "agree": 11, "differ": 0}
    assert report["against"] == upstream.url


def test_drift_har_replay_against_a_changed_target_differs_where_it_changed(
    recording: Recording, upstream: MockServer, tmp_path: Path
) -> None:
    upstream.reset()
    with ThreadedServer(AlteredTarget(upstream.url, add_labels)) as target:
        url = target.url
        status, stderr, report, junit = replay(
            recording, tmp_path, "--against", url, "--token", "replay-token"
        )

    assert status == 1
    assert "11 exchanges replayed: 5 agree, 6 differ." in stderr
    found = {
        index: e["differences"] for index, e in enumerate(report["exchanges"]) if e["differences"]
    }
    assert {index: EXCHANGES[index] for index in found} == {
        0: "createPrompt",
        1: "createPrompt",
        2: "listPrompts",
        3: "getPrompt",
        4: "updatePrompt",
        9: "rollbackPrompt",
    }
    side = r"only the \w+ has labels"
    for index in (0, 1, 3, 4, 9):
        [difference] = found[index]
        assert re.fullmatch(rf"body: {side}", difference), difference
    assert len(found[2]) == 2
    assert all(re.fullmatch(rf"body\.data\[[01]\]: {side}", d) for d in found[2]), found[2]
    cases = junit.findall("testsuite/testcase")
    failed = [i for i, case in enumerate(cases) if case.find("failure") is not None]
    assert len(cases) == 11 and failed == sorted(found)


def test_drift_har_replay_maps_recorded_ids_and_sends_the_token_given(
    recording: Recording, upstream: MockServer, tmp_path: Path
) -> None:
    """Each request of the replay names the prompts the replay made, not the recorded ones,
    with ``--token`` in place of the recording's redacted one."""
    upstream.reset()
    status, _, _, _ = replay(recording, tmp_path, "--against", upstream.url, "--token", "tk")

    assert status == 0
    entries = upstream.requests()
    assert [e.operation_id for e in entries] == EXCHANGES
    assert all(e.status < 300 for e in entries), [(e.path, e.status) for e in entries]
    assert {e.headers["authorization"] for e in entries} == {"Bearer tk"}
    assert not any(prompt_id in e.path for e in entries for prompt_id in recording.ids.values())
    [kept] = upstream.export()["prompts"]
    recorded = json.loads(recording.har.read_text())["log"]["entries"][0]["request"]["headers"]
    [on_behalf_of] = [h["value"] for h in recorded if h["name"].lower() == "x-on-behalf-of"]
    assert kept["owner"] == {"token": "tk", "on_behalf_of": on_behalf_of}


def test_drift_har_replay_against_an_unreachable_server_says_so_without_a_traceback(
    recording: Recording, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, not listening: refused
        result = mka1_mock_run("drift", "--har", str(recording.har), "--against", url)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert url in result.stderr or "could not be reached" in result.stdout + result.stderr
