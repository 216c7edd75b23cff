"""Servers of the benchmark: what a server is, starting one on a free port and stopping it
however the run ends, plain HTTP calls to it, and seeding mka1-mock's state."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
PROMPTS = "/api/v1/llm/prompts"
SESSION_PREFIX = "/sessions/bench"  # the same mock, every path under a named session
SEEDED = 1000
MOCK, SESSION, BEFORE, NO_VALIDATION, BARE, PROXY = (
    "mka1-mock",
    "mka1-mock, in a session",
    "mka1-mock before",
    "mka1-mock, validation off",
    "bare Starlette",
    "mka1-mock proxy",
)
MOCK_COMMAND = [sys.executable, "-m", "mka1_mock", "--log-level", "warning", "--port", "{port}"]


@dataclass
class Server:
    """How to start one server and bring it back to its seeded state."""

    name: str
    command: list[str]  # "{port}" stands for the port
    ready: str = PROMPTS  # a path that answers 200 once the server is up
    env: dict[str, str] | None = None
    cwd: Path | None = None
    script_args: tuple[str, ...] = ()  # passed to the Lua scripts after wrk's "--"
    reset: Callable[[str], None] | None = None  # before the warm-up and each measured run
    prepare: Callable[[], None] | None = None  # before each start
    # For a server whose state cannot be reset while it runs: a new process (after prepare) for
    # each workload, and for each measured run of a workload that writes, each with its warm-up.
    restart: bool = False
    timeout: float = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def spawn(
    command: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stderr: IO[bytes] | int = subprocess.DEVNULL,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command (started directly, so that its PID is the server's own: node or java, not a
    wrapper); stop it however the block ends."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=cwd)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate, then kill after the timeout (also when interrupted while waiting)."""
    try:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def serving(server: Server) -> Iterator[str]:
    """Start a server on a free port; yield its URL once it answers; stop it."""
    if server.prepare:
        server.prepare()
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in server.command]
    url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryFile() as errors,
        spawn(command, server.env, server.cwd, errors) as process,
    ):
        deadline = time.monotonic() + server.timeout
        while not answers(url, server.ready):
            if process.poll() is not None or time.monotonic() > deadline:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip().splitlines()[-5:]
                why = "\n".join([f"{server.name} did not start: {' '.join(command)}", *said])
                raise RuntimeError(why)
            time.sleep(0.05)
        yield url


def answers(url: str, path: str = PROMPTS) -> bool:
    request = urllib.request.Request(f"{url}{path}", headers=AUTH)
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def fetch(url: str, method: str, path: str, body: str | None = None) -> tuple[int, str]:
    """One request; its status and body text."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, headers=AUTH, method=method)
    with urllib.request.urlopen(request, timeout=120) as response:
        return int(response.status), response.read().decode()


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    return json.loads(fetch(url, method, path, None if body is None else json.dumps(body))[1])


def prompt_id(i: int) -> str:
    return f"prompt_{i:032x}"


def seed_state(url: str, count: int, prefix: str = "") -> None:
    """Reset the mock (or its session at ``prefix``) and give token "bench" prompts
    prompt_<i as 32 hex>, i = 1..count."""
    call(url, "POST", f"{prefix}/__mock/reset")
    prompts = [
        {
            "owner": {"token": "bench"},
            "id": prompt_id(i),
            "name": f"prompt {i}",
            "versions": [{"template": "Hello {{name}}! Welcome to {{company}}."}],
        }
        for i in range(1, count + 1)
    ]
    call(url, "PUT", f"{prefix}/__mock/state", {"prompts": prompts})


def seeder(count: int, prefix: str = "") -> Callable[[str], None]:
    return lambda url: seed_state(url, count, prefix)
