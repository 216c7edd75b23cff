"""``--state-file``: every session's prompts kept across restarts of a real ``mka1-mock`` process.

Saved after changes (at most once a second) and at shutdown, atomically: a ``kill -9`` at any
moment leaves a file that loads. A bad file stops start-up in one line; without the option
nothing is written anywhere.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import (
    AUTH,
    PROMPTS,
    create_prompt,
    mka1_mock_run,
    mock_process,
    stop_process,
    url,
    wait_for,
)

SESSION = "/sessions/kept"
QUIET = ("--log-level", "warning")  # nobody reads the log while the process runs


def state_args(path: Path) -> tuple[str, ...]:
    return ("--state-file", str(path), *QUIET)


def furnish(http: httpx.Client) -> None:
    """Two owners' prompts, one with three versions rolled back to the second."""
    versioned = create_prompt(http, name="versioned", template="v1 {{x}}", description="d")
    for template in ("v2 {{x}}", "v3 {{x}}"):
        created = http.post(url(versioned["id"], "/versions"), json={"template": template})
        assert created.status_code == 201, created.text
    rolled = http.post(url(versioned["id"], "/rollback"), json={"version": 2})
    assert rolled.status_code == 200, rolled.text
    owner = {"X-On-Behalf-Of": "user_1"}
    create_prompt(http, name="other", template="o", metadata={"k": [1, 2]}, headers=owner)


def seen(base: str) -> dict[str, Any]:
    """Both sessions' exported state, and each prompt as the API shows it, with its versions."""
    with httpx.Client(base_url=base, headers=AUTH) as http:
        found: dict[str, Any] = {}
        for name, prefix in (("default", ""), ("kept", SESSION)):
            state = http.get(prefix + "/__mock/state").json()
            found[name] = state
            for item in state["prompts"]:
                headers = {"X-On-Behalf-Of": item["owner"].get("on_behalf_of") or ""}
                prompt = http.get(prefix + url(item["id"]), headers=headers).json()
                versions = http.get(prefix + url(item["id"], "/versions"), headers=headers).json()
                found[item["id"]] = (prompt, versions)
        return found


def restarted_state(path: Path, stop: signal.Signals) -> tuple[dict[str, Any], dict[str, Any]]:
    """Furnish both sessions, stop the process with ``stop``, start it again on the same file:
    what it showed before, and after."""
    with mock_process(*state_args(path)) as (proc, base):
        for prefix in ("", SESSION):
            with httpx.Client(base_url=base + prefix, headers=AUTH) as http:
                furnish(http)
        before = seen(base)
        stderr = stop_process(proc, stop)
        assert proc.returncode == 0, stderr
    with mock_process(*state_args(path)) as (proc, base):
        after = seen(base)
        stop_process(proc)
    return before, after


@pytest.mark.parametrize(
    "stop", [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")]
)
def test_state_file_keeps_prompts_of_every_session_across_a_restart(
    tmp_path: Path, stop: signal.Signals
) -> None:
    before, after = restarted_state(tmp_path / "state.json", stop)
    assert after == before
    for name in ("default", "kept"):
        assert len(before[name]["prompts"]) == 2
    versioned = next(p for p in before["kept"]["prompts"] if p["name"] == "versioned")
    prompt, versions = after[versioned["id"]]
    assert (prompt["active_version"], prompt["latest_version"]) == (2, 3)
    assert prompt["active_template"] == "v2 {{x}}"
    assert [v["template"] for v in versions["data"]] == ["v3 {{x}}", "v2 {{x}}", "v1 {{x}}"]


def test_state_file_is_written_within_a_second_of_a_change(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock_process(*state_args(path)) as (proc, base):
        with httpx.Client(base_url=base, headers=AUTH) as http:
            created = create_prompt(http)
            started = time.monotonic()
            wait_for(lambda: path.exists() and created["id"] in path.read_text(), timeout=3)
            first = time.monotonic() - started

            http.post(url(created["id"], "/versions"), json={"template": "second {{x}}"})
            started = time.monotonic()
            wait_for(lambda: "second {{x}}" in path.read_text(), timeout=3)
            second = time.monotonic() - started
        assert proc.poll() is None  # saved while it runs, not at exit
        stop_process(proc)
    assert first < 2.0 and second < 2.0, (first, second)


def test_state_file_survives_kill_9_while_writing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    chance = random.Random(1)
    written: list[str] = []  # IDs created, in order, as far as the last restart showed
    for _ in range(4):
        with mock_process(*state_args(path)) as (proc, base):
            with httpx.Client(base_url=base, headers=AUTH) as http:
                loaded = ids_in(http)
                assert_prefix(loaded, written)
                written = loaded
                stop, refused = threading.Event(), list[str]()
                writer = threading.Thread(target=write, args=(http, written, refused, stop))
                writer.start()
                time.sleep(chance.uniform(0.3, 1.6))
                proc.kill()
                proc.wait()
                stop.set()
                writer.join(10)
                assert refused == []
    with mock_process(*state_args(path)) as (proc, base):
        with httpx.Client(base_url=base, headers=AUTH) as http:
            loaded = ids_in(http)
            assert_prefix(loaded, written)
            written = loaded
            create_prompt(http)
            written = ids_in(http)
        stop_process(proc)
    with mock_process(*state_args(path)) as (proc, base):
        with httpx.Client(base_url=base, headers=AUTH) as http:
            assert ids_in(http) == written  # a clean stop keeps everything
        stop_process(proc)
    assert len(written) > 1


def ids_in(http: httpx.Client) -> list[str]:
    """Every prompt's ID, oldest first (all are the same owner's)."""
    state = http.get("/__mock/state").json()
    return [prompt["id"] for prompt in state["prompts"]]


def write(
    http: httpx.Client, written: list[str], refused: list[str], stop: threading.Event
) -> None:
    """Create prompts one after another until stopped or the process is gone; the IDs of the
    answered ones in ``written``, any other answer in ``refused``."""
    while not stop.is_set():
        try:
            response = http.post(PROMPTS, json={"name": "p", "template": "t" * 200})
        except httpx.TransportError:
            return
        if response.status_code != 201:
            refused.append(response.text)
            return
        written.append(response.json()["id"])


def assert_prefix(loaded: list[str], written: list[str]) -> None:
    """What a restart loaded is what was written, up to some point: nothing reordered, nothing
    missing in between; at most one more, whose answer the kill cut off."""
    assert loaded[: len(written)] == written[: len(loaded)], (loaded, written)
    assert len(loaded) <= len(written) + 1, (loaded, written)


STATE_PROMPT = {"owner": {"token": "k"}, "name": "ok", "versions": [{"template": "t"}]}


@pytest.mark.parametrize(
    ("content", "where"),
    [
        pytest.param("not json {", None, id="not-json"),
        pytest.param("", None, id="empty"),
        pytest.param(
            {"prompts": [STATE_PROMPT | {"name": ""}]}, "prompts[0].name", id="default-bad-name"
        ),
        pytest.param(
            {"prompts": [], "sessions": {"s": {"prompts": [STATE_PROMPT | {"active_version": 2}]}}},
            "sessions.s.prompts[0].active_version",
            id="session-bad-active-version",
        ),
        pytest.param(
            {"sessions": {"s": []}}, "sessions.s: must be an object", id="session-not-an-object"
        ),
        pytest.param({"prompts": "none"}, "prompts", id="prompts-not-a-list"),
    ],
)
def test_state_file_that_is_corrupt_stops_start_up_in_one_line(
    tmp_path: Path, content: Any, where: str | None
) -> None:
    path = tmp_path / "state.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    before = path.read_bytes()
    result = mka1_mock_run("--port", "0", "--state-file", str(path), timeout=30)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"mka1-mock: error: {path}: "), lines[0]
    if where is not None:
        assert where in lines[0], lines[0]
    if "sessions" in str(content):
        assert "sessions.s" in lines[0], lines[0]
    assert path.read_bytes() == before  # left as it was, for a person to fix


def test_state_file_absent_means_nothing_is_written(tmp_path: Path) -> None:
    with mock_process(*QUIET, cwd=tmp_path) as (proc, base):
        with httpx.Client(base_url=base, headers=AUTH) as http:
            create_prompt(http)
            create_prompt(http, headers={"X-On-Behalf-Of": "u"})
        time.sleep(1.3)  # past a save interval
        stop_process(proc)
    assert list(tmp_path.iterdir()) == []


def test_state_file_forgets_a_dropped_session_that_was_made_again(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock_process(*state_args(path)) as (proc, base):
        with httpx.Client(base_url=base, headers=AUTH) as http:
            old = http.post(f"{SESSION}{PROMPTS}", json={"name": "old", "template": "t"}).json()
            wait_for(lambda: path.exists() and old["id"] in path.read_text(), timeout=3)
            assert http.delete(f"/__mock/sessions/{SESSION.rsplit('/', 1)[1]}").status_code == 200
            new = http.post(f"{SESSION}{PROMPTS}", json={"name": "new", "template": "t"}).json()
        stop_process(proc)
    with mock_process(*state_args(path)) as (proc, base):
        with httpx.Client(base_url=base + SESSION, headers=AUTH) as http:
            assert ids_in(http) == [new["id"]]
        stop_process(proc)
