"""The load: wrk runs of the Lua workloads, the warm-up before them, what wrk prints read into
figures, and the median of the measured runs; and the extras measured beside the table."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from servers import (
    MOCK,
    MOCK_COMMAND,
    Server,
    answers,
    call,
    free_port,
    prompt_id,
    seed_state,
    serving,
    spawn,
)

# wrk on one core and the server on the other (the JVM may use both) on the 2-core machine.
THREADS, CONNECTIONS = 1, 32
WORKLOADS = {
    "getPrompt": "get.lua",
    "createPrompt (1 KB)": "create.lua",
    "listPrompts (20 of 1,000)": "list.lua",
    "mix 70/20/10": "mix.lua",
}
GET, CREATE, LIST, MIX = WORKLOADS
WRITES = {CREATE, MIX}


@dataclass
class Load:
    """The wrk settings shared by every cell."""

    wrk: str
    threads: int
    connections: int
    duration: int
    warmup: int
    repeat: int


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL
        )
        wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench: wrk is needed (Debian: apt-get install wrk)")
    return wrk


def measure(server: Server, load: Load) -> dict[str, Any]:
    """Each workload's median figures for one server: a warm-up run, then the measured runs."""
    cells: dict[str, Any] = {}
    if not server.restart:
        with serving(server) as url:
            for workload, script in WORKLOADS.items():
                runs = warm_then_measure(server, url, script, load, load.repeat)
                cells[workload] = report_cell(server.name, workload, runs)
        return cells
    for workload, script in WORKLOADS.items():
        runs = []
        for repeat in [1] * load.repeat if workload in WRITES else [load.repeat]:
            with serving(server) as url:
                runs += warm_then_measure(server, url, script, load, repeat)
        cells[workload] = report_cell(server.name, workload, runs)
    return cells


def warm_then_measure(
    server: Server, url: str, script: str, load: Load, repeat: int
) -> list[dict[str, float]]:
    if load.warmup > 0:
        if server.reset:
            server.reset(url)
        run_wrk(load, url, script, load.warmup, server.script_args)
    runs = []
    for _ in range(repeat):
        if server.reset:
            server.reset(url)
        runs.append(run_wrk(load, url, script, load.duration, server.script_args))
    return runs


def report_cell(name: str, workload: str, runs: list[dict[str, float]]) -> dict[str, float]:
    cell = summarize(runs)
    print(f"{name:28} {workload:28} {cell}", flush=True)
    return cell


def run_wrk(
    load: Load,
    url: str,
    script: str,
    duration: int,
    script_args: tuple[str, ...] = (),
    connections: int | None = None,
    threads: int | None = None,
) -> dict[str, float]:
    done = subprocess.run(
        [
            load.wrk,
            f"-t{threads or load.threads}",
            f"-c{connections or load.connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            f"bench/lua/{script}",
            url,
            *(["--", *script_args] if script_args else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": latency(out, "50%"),
        "p99_ms": latency(out, "99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def summarize(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}


def start_to_first_200(times: int = 7) -> float:
    """Median ms from spawning ``mka1-mock`` to its first 200."""
    samples = []
    for _ in range(times):
        port = free_port()
        started = time.perf_counter()
        command = [sys.executable, "-m", "mka1_mock", "--port", str(port), "--log-level", "warning"]
        with spawn(command):
            while not answers(f"http://127.0.0.1:{port}"):
                time.sleep(0.002)
            samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def in_process_figures() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "bench/in_process.py"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def list_scaling(wrk: str) -> dict[str, Any]:
    """listPrompts (limit 20) from one connection, with 1,000 and with 100,000 stored prompts."""
    figures = {}
    one = Load(wrk, threads=1, connections=1, duration=5, warmup=0, repeat=1)
    with serving(Server(MOCK, MOCK_COMMAND)) as url:
        for count in (1_000, 100_000):
            seed_state(url, count)
            figures[f"list_p50_ms_{count}"] = run_wrk(one, url, "list.lua", 5)["p50_ms"]
    return figures


def sessions_memory(sessions: int = 1_000, prompts: int = 10) -> dict[str, float]:
    """Resident memory of one ``mka1-mock`` process before and after ``sessions`` named
    sessions of ``prompts`` prompts each (1 KB templates, as createPrompt's workload)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [part.replace("{port}", str(port)) for part in MOCK_COMMAND]
    template = "Hello {{name}}! " * 64
    with spawn(command) as process:
        while not answers(url):
            time.sleep(0.01)
        before = rss_mib(process.pid)
        for s in range(sessions):
            state = [
                {
                    "owner": {"token": "bench"},
                    "id": prompt_id(p + 1),
                    "name": f"prompt {p}",
                    "versions": [{"template": template}],
                }
                for p in range(prompts)
            ]
            call(url, "PUT", f"/sessions/s{s}/__mock/state", {"prompts": state})
        after = rss_mib(process.pid)
    return {
        "rss_before_sessions_mib": before,
        f"rss_{sessions}_sessions_mib": after,
        "rss_per_session_kib": round((after - before) * 1024 / sessions, 1),
    }


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")
