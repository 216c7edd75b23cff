"""``mka1-mock proxy`` as a real process, in front of a real mock: its output at shutdown, its exit
codes, its options; and plain ``mka1-mock``, still the mock."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import (
    AUTH,
    MOCK_COMMAND,
    PROMPTS,
    FakeUpstream,
    assert_error,
    proxy_process,
    stop_process,
    tls_options,
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture
def mock(upstream: MockServer) -> MockServer:
    upstream.reset()
    return upstream


def traffic(url: str, *, violation: bool) -> None:
    """Two calls of listPrompts; the second one breaks the contract if ``violation``."""
    with httpx.Client(base_url=url, headers=AUTH) as client:
        assert client.get(PROMPTS).status_code == 200
        limit = 0 if violation else 1
        assert client.get(PROMPTS, params={"limit": limit}).status_code == (
            400 if violation else 200
        )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_proxy_cli_writes_report_junit_and_summary_when_stopped(
    mock: MockServer, tmp_path: Path, signum: int
) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "report.xml"
    args = ["--upstream", mock.url, "--report", str(report), "--junit", str(junit)]
    with proxy_process(*args) as (proc, url):
        traffic(url, violation=True)
        stderr = stop_process(proc, signum)

    assert proc.returncode == 0  # violations fail the run only with --fail-on-violation
    data = json.loads(report.read_text("utf-8"))
    assert data["summary"]["exchanges"] == 2
    assert data["summary"]["violations"] == 1
    [finding] = data["violations"]
    assert (finding["side"], finding["location"]) == ("request", "query.limit")
    suite = ElementTree.parse(junit).getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {f"GET {PROMPTS} 200", f"GET {PROMPTS} 400"}
    assert [f.get("message") for f in cases[f"GET {PROMPTS} 400"].iter("failure")] == [
        "request: query.limit must be at least 1"
    ]
    assert "mka1-mock proxy: 2 exchange(s), 1 violation(s), 0 undocumented call(s)" in stderr
    assert "coverage: 1 of 9 operations called" in stderr
    assert "never called: createPrompt" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("violation", "code"),
    [pytest.param(True, 1, id="violation-exits-1"), pytest.param(False, 0, id="clean-exits-0")],
)
def test_proxy_cli_fail_on_violation_sets_the_exit_code(
    mock: MockServer, violation: bool, code: int
) -> None:
    with proxy_process("--upstream", mock.url, "--fail-on-violation") as (proc, url):
        traffic(url, violation=violation)
        stderr = stop_process(proc)

    assert proc.returncode == code, stderr
    assert f"{int(violation)} violation(s)" in stderr


def start_or_refuse(*args: str) -> tuple[int | None, list[str]]:
    """Run ``mka1-mock proxy --port 0 ARGS``: its exit code and stderr lines when it refuses to
    start; ``None`` (and it is killed) if it starts listening."""
    command = [*MOCK_COMMAND, "proxy", "--port", "0", *args]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "listening on" in line:
                return None, lines
        return proc.wait(timeout=15), lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()


def junk_ca(folder: Path) -> Path:
    (folder / "ca.pem").write_text("not a certificate\n")
    return folder / "ca.pem"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        pytest.param(lambda d: ["--upstream", "127.0.0.1:8000"], "127.0.0.1:8000", id="no-scheme"),
        pytest.param(lambda d: ["--upstream", "ftp://example.com"], "ftp://", id="ftp-scheme"),
        pytest.param(lambda d: ["--upstream", "http://"], "http://", id="no-host"),
        pytest.param(
            lambda d: ["--upstream", "https://x.invalid", "--upstream-ca", str(junk_ca(d))],
            "ca.pem",
            id="ca-not-pem",
        ),
        pytest.param(
            lambda d: ["--upstream", "http://x.invalid", "--har", str(d / "no" / "t.har")],
            "t.har",
            id="har-folder-missing",
        ),
        pytest.param(
            lambda d: ["--upstream", "http://x.invalid", "--report", str(d / "no" / "r.json")],
            "r.json",
            id="report-folder-missing",
        ),
        pytest.param(
            lambda d: ["--upstream", "http://x.invalid", "--junit", str(d / "no" / "r.xml")],
            "r.xml",
            id="junit-folder-missing",
        ),
    ],
)
def test_proxy_cli_bad_option_exits_2_with_one_line(
    tmp_path: Path, options: Callable[[Path], list[str]], named: str
) -> None:
    code, lines = start_or_refuse(*options(tmp_path))

    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("mka1-mock: error: ")
    assert named in lines[0]


@pytest.mark.parametrize(
    ("options", "status", "forwarded", "header"),
    [
        pytest.param([], 400, True, "1", id="report"),
        pytest.param(["--mode", "enforce"], 400, False, "1", id="enforce"),
        pytest.param(["--no-violations-header"], 400, True, None, id="no-violations-header"),
        pytest.param(["--no-validate-request"], 400, True, None, id="no-validate-request"),
        pytest.param(
            ["--mode", "enforce", "--no-validate-request"], 400, True, None, id="enforce-no-check"
        ),
    ],
)
def test_proxy_cli_options_reach_the_proxy(
    mock: MockServer, options: list[str], status: int, forwarded: bool, header: str | None
) -> None:
    with proxy_process("--upstream", mock.url, *options) as (proc, url):
        response = httpx.get(url + PROMPTS, params={"limit": 0}, headers=AUTH)
        stop_process(proc)

    assert_error(response, status, locations=["query.limit"])
    assert response.headers.get("x-mock-violations") == header
    assert len(mock.requests()) == int(forwarded)


def test_proxy_cli_strict_counts_an_undocumented_call(mock: MockServer) -> None:
    with proxy_process("--upstream", mock.url, "--strict") as (proc, url):
        response = httpx.get(url + "/api/v1/other", headers=AUTH)
        report = httpx.get(url + "/__mock/report").json()
        stop_process(proc)

    assert response.status_code == 404  # the upstream's answer
    assert response.headers["x-mock-violations"] == "1"
    assert report["undocumented"] == [{"method": "GET", "path": "/api/v1/other", "calls": 1}]


def test_proxy_cli_upstream_timeout_answers_504() -> None:
    app = FakeUpstream()
    app.delay = 5.0
    with ThreadedServer(app) as slow:
        with proxy_process("--upstream", slow.url, "--upstream-timeout", "0.5") as (proc, url):
            response = httpx.get(url + PROMPTS, headers=AUTH, timeout=10)
            stop_process(proc)
        app.release()

    assert_error(response, 504, mentions="0.5 s")


def test_proxy_cli_upstream_ca_trusts_a_private_ca(tmp_path: Path) -> None:
    ssl = tls_options(tmp_path, "127.0.0.1")
    with ThreadedServer(MockServer().app, **ssl) as server:
        https = server.url.replace("http://", "https://")
        with proxy_process("--upstream", https) as (proc, url):
            untrusted = httpx.get(url + PROMPTS, headers=AUTH)
            stop_process(proc)
        with proxy_process("--upstream", https, "--upstream-ca", str(tmp_path / "ca.pem")) as (
            proc,
            url,
        ):
            trusted = httpx.get(url + PROMPTS, headers=AUTH)
            stop_process(proc)

    assert_error(untrusted, 502, mentions="certificate")
    assert trusted.status_code == 200, trusted.text


def test_plain_mka1_mock_still_runs_the_mock() -> None:
    command = [sys.executable, "-m", "mka1_mock", "--port", "0"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.rsplit(" ", 1)[1].strip()
        health = httpx.get(url + "/__mock/health")
        created = httpx.post(url + PROMPTS, json={"name": "a", "template": "t"}, headers=AUTH)
        state = httpx.get(url + "/__mock/state")  # only a mock has state
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)

    assert proc.returncode == 0
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert created.status_code == 201
    assert state.status_code == 200
