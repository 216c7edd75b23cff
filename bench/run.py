"""The side-by-side benchmark: ``python bench/run.py`` (after ``pip install -e '.[bench]'``).

Runs every server on loopback under the same wrk load, prints a table, and writes
bench/results/results.json and bench/results/results.png. Needs wrk (Debian: ``apt-get install
wrk``, done here when run as root) and, for Prism, npm (installed into bench/.cache).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"
PRISM_VERSION = "5.14.2"  # newer releases need Node 24
CONNECTIONS, THREADS = 32, 2
AUTH = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
WORKLOADS = {
    "getPrompt": "get.lua",
    "createPrompt (1 KB)": "create.lua",
    "listPrompts (20 of 1,000)": "list.lua",
    "mix 70/20/10": "mix.lua",
}
MOCK, NO_VALIDATION, BARE, PRISM = (
    "mka1-mock",
    "mka1-mock, validation off",
    "bare Starlette",
    f"Prism {PRISM_VERSION}",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs per cell (median)")
    args = parser.parse_args()
    os.chdir(ROOT)  # the Lua scripts load bench/lua/common.lua
    wrk = require_wrk()
    prism, prism_note = install_prism()
    servers: dict[str, list[str] | None] = {
        MOCK: [sys.executable, "-m", "mka1_mock", "--log-level", "warning", "--port"],
        NO_VALIDATION: [sys.executable, "bench/serve.py"],
        BARE: [sys.executable, "bench/bare.py"],
        PRISM: [prism, "mock", "-h", "127.0.0.1", str(ROOT / "openapi.yaml"), "-p"]
        if prism
        else None,
    }
    load: dict[str, dict[str, Any]] = {}
    for name, command in servers.items():
        if command is None:
            print(f"{name}: skipped ({prism_note})", flush=True)
            continue
        with serving(command) as url:
            load[name] = {}
            for workload, script in WORKLOADS.items():
                runs = []
                for _ in range(args.repeat):
                    if name in (MOCK, NO_VALIDATION):
                        seed_state(url, 1000)
                    runs.append(run_wrk(wrk, url, script, args.duration))
                load[name][workload] = summarize(runs)
                print(f"{name:28} {workload:28} {load[name][workload]}", flush=True)
    extras = {
        "start_to_first_200_ms": start_to_first_200(),
        **in_process_figures(),
        **list_scaling(wrk),
    }
    report = {
        "machine": machine(),
        "settings": {
            "connections": CONNECTIONS,
            "threads": THREADS,
            "duration_s": args.duration,
            "repeat": args.repeat,
        },
        "prism": prism_note,
        "load": load,
        "extras": extras,
        "ratios": ratios(load, extras),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(report, indent=2))
    print_table(report)
    chart(report, RESULTS / "results.png")


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


def install_prism() -> tuple[str | None, str]:
    """Prism from npm into bench/.cache; (None, why) when it cannot be had."""
    folder = CACHE / "prism"
    binary = folder / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        if shutil.which("npm") is None:
            return None, "npm is not installed"
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                f"@stoplight/prism-cli@{PRISM_VERSION}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not binary.exists():
            return None, f"npm install failed: {done.stderr.strip().splitlines()[-1:]}"
    return str(binary), f"@stoplight/prism-cli@{PRISM_VERSION} from npm"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(command: list[str], timeout: float = 60) -> Iterator[str]:
    """Start a server on a free port; yield its URL once it answers; stop it."""
    port = free_port()
    process = subprocess.Popen(
        [*command, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def answers(url: str) -> bool:
    request = urllib.request.Request(f"{url}/api/v1/llm/prompts", headers=AUTH)
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, headers=AUTH, method=method)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def seed_state(url: str, count: int) -> None:
    """Reset the mock and give token "bench" prompts prompt_<i as 32 hex>, i = 1..count."""
    call(url, "POST", "/__mock/reset")
    prompts = [
        {
            "owner": {"token": "bench"},
            "id": f"prompt_{i:032x}",
            "name": f"prompt {i}",
            "versions": [{"template": "Hello {{name}}! Welcome to {{company}}."}],
        }
        for i in range(1, count + 1)
    ]
    call(url, "PUT", "/__mock/state", {"prompts": prompts})


def run_wrk(
    wrk: str,
    url: str,
    script: str,
    duration: int,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> dict[str, float]:
    done = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            f"bench/lua/{script}",
            url,
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
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        while not answers(f"http://127.0.0.1:{port}"):
            time.sleep(0.002)
        samples.append((time.perf_counter() - started) * 1000)
        process.terminate()
        process.wait(10)
    return round(statistics.median(samples), 1)


def in_process_figures() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "bench/in_process.py"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def list_scaling(wrk: str) -> dict[str, Any]:
    """listPrompts (limit 20) from one connection, with 1,000 and with 100,000 stored prompts."""
    figures = {}
    command = [sys.executable, "-m", "mka1_mock", "--log-level", "warning", "--port"]
    with serving(command) as url:
        for count in (1_000, 100_000):
            seed_state(url, count)
            figures[f"list_p50_ms_{count}"] = run_wrk(wrk, url, "list.lua", 5, 1, 1)["p50_ms"]
    return figures


def ratios(load: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    mix = {name: cells["mix 70/20/10"]["rps"] for name, cells in load.items()}
    out: dict[str, Any] = {}
    if PRISM in mix:
        out["mix_vs_prism"] = round(mix[MOCK] / mix[PRISM], 2)
    out["mix_vs_bare"] = round(mix[MOCK] / mix[BARE], 2)
    overhead = {}
    for workload in WORKLOADS:
        with_v, without = load[MOCK][workload]["rps"], load[NO_VALIDATION][workload]["rps"]
        overhead[workload] = round((1 / with_v - 1 / without) * 1e6, 1)
    out["validation_overhead_us_from_throughput"] = overhead
    out["mix_p99_ms"] = load[MOCK]["mix 70/20/10"]["p99_ms"]
    out["list_100k_vs_1k"] = round(extras["list_p50_ms_100000"] / extras["list_p50_ms_1000"], 2)
    return out


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def print_table(report: dict[str, Any]) -> None:
    load = report["load"]
    names = list(load)
    print(
        "\nreq/s (p50 / p99 ms), median of",
        report["settings"]["repeat"],
        "runs,",
        CONNECTIONS,
        "connections",
    )
    print(f"{'workload':28}" + "".join(f"{name:>30}" for name in names))
    for workload in WORKLOADS:
        cells = [load[name][workload] for name in names]
        print(
            f"{workload:28}"
            + "".join(
                f"{c['rps']:>12,.0f} ({c['p50_ms']:.1f} / {c['p99_ms']:.1f})".rjust(30)
                for c in cells
            )
        )
    print("\n" + json.dumps({"extras": report["extras"], "ratios": report["ratios"]}, indent=2))
    if report["prism"] and PRISM not in load:
        print("Prism:", report["prism"])


def chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: no chart (pip install -e '.[bench]' brings matplotlib)")
        return
    load = report["load"]
    names = list(load)
    width = 0.8 / len(names)
    figure, axes = plt.subplots(figsize=(10, 5))
    for index, name in enumerate(names):
        values = [load[name][workload]["rps"] for workload in WORKLOADS]
        positions = [w + index * width for w in range(len(WORKLOADS))]
        axes.bar(positions, values, width, label=name)
    axes.set_xticks([w + width * (len(names) - 1) / 2 for w in range(len(WORKLOADS))])
    axes.set_xticklabels(list(WORKLOADS))
    axes.set_ylabel("requests/s (median)")
    axes.set_title(f"wrk, {CONNECTIONS} connections, {report['machine']['cores']} cores, loopback")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
