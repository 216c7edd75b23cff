"""The side-by-side benchmark: ``python bench/run.py`` (after ``pip install -e '.[bench]'``).

Runs every server on loopback under the same wrk load, prints a table, and writes results.json
and results.png into --out (default bench/results). Needs wrk (Debian: ``apt-get install wrk``,
done here when run as root) and, for the peers, npm (Prism, json-server and WireMock are
installed into bench/.cache) and Java 17 (WireMock). A peer that cannot be had is skipped, with
the reason printed.

Servers, by the names --only takes: mock (mka1-mock), before (mka1-mock from the checkout that
--baseline names), no-validation (mka1-mock with validation off, bench/serve.py), bare (bare
Starlette, bench/bare.py), prism, json-server and wiremock.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"
PRISM_VERSION = "5.14.2"  # newer releases need Node 24
JSON_SERVER_VERSION = "1.0.0-beta.15"  # wants Node 22 by its engines field; runs on Node 20
WIREMOCK_VERSION = "3.13.2"  # the npm package bundles the standalone jar
# wrk on one core and the server on the other (the JVM may use both) on the 2-core machine.
THREADS, CONNECTIONS = 1, 32
AUTH = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
PROMPTS = "/api/v1/llm/prompts"
SEEDED = 1000
# The 1 KB createPrompt body, as bench/lua/common.lua sends it.
TEMPLATE = '{"name": "bench", "template": "' + "Hello {{name}}! " * 64 + '"}'
WORKLOADS = {
    "getPrompt": "get.lua",
    "createPrompt (1 KB)": "create.lua",
    "listPrompts (20 of 1,000)": "list.lua",
    "mix 70/20/10": "mix.lua",
}
GET, CREATE, LIST, MIX = WORKLOADS
WRITES = {CREATE, MIX}
MOCK, NO_VALIDATION, BARE, PRISM, JSON_SERVER, WIREMOCK, BEFORE = (
    "mka1-mock",
    "mka1-mock, validation off",
    "bare Starlette",
    f"Prism {PRISM_VERSION}",
    f"json-server {JSON_SERVER_VERSION}",
    f"WireMock {WIREMOCK_VERSION}",
    "mka1-mock before",
)
KEYS = {  # in the table's order
    "mock": MOCK,
    "before": BEFORE,
    "no-validation": NO_VALIDATION,
    "bare": BARE,
    "prism": PRISM,
    "json-server": JSON_SERVER,
    "wiremock": WIREMOCK,
}
MOCK_COMMAND = [sys.executable, "-m", "mka1_mock", "--log-level", "warning", "--port", "{port}"]
# json-server serves /prompts and /prompts/:id; its PUT replaces the whole item (the prompt would
# lose all but its name), so the updates of the mix are PATCH, which merges like updatePrompt.
JSON_SERVER_ARGS = ("/prompts", "_page=1&_per_page=20", "PATCH")


@dataclass
class Load:
    """The wrk settings shared by every cell."""

    wrk: str
    threads: int
    connections: int
    duration: int
    warmup: int
    repeat: int


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs per cell (median)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load per server and workload"
    )
    parser.add_argument("--threads", type=int, default=THREADS, help="wrk threads")
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="wrk connections")
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME...]",
        help=f"run only these servers, of: {', '.join(KEYS)}",
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        type=Path,
        help='a checkout of an older commit (git worktree add DIR COMMIT): adds "mka1-mock before"',
    )
    parser.add_argument(
        "--no-extras",
        action="store_true",
        help="skip start_to_first_200, in_process and list_scaling",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where results.json and results.png go"
    )
    args = parser.parse_args()
    baseline = args.baseline.resolve() if args.baseline is not None else None
    chosen = choose(parser, args.only, baseline)
    out = args.out.resolve()
    os.chdir(ROOT)  # the Lua scripts load bench/lua/common.lua
    signal.signal(signal.SIGTERM, stop_on_signal)  # so that every server is stopped then too
    load = Load(
        require_wrk(), args.threads, args.connections, args.duration, args.warmup, args.repeat
    )
    with tempfile.TemporaryDirectory(prefix="mka1-bench-") as scratch:
        servers, peers = plan(chosen, Path(scratch), baseline)
        figures: dict[str, dict[str, Any]] = {}
        for server in servers:
            figures[server.name] = measure(server, load)
    extras: dict[str, Any] = {}
    if not args.no_extras:
        extras = {
            "start_to_first_200_ms": start_to_first_200(),
            **in_process_figures(),
            **list_scaling(load.wrk),
        }
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "connections": load.connections,
            "threads": load.threads,
            "duration_s": load.duration,
            "warmup_s": load.warmup,
            "repeat": load.repeat,
        },
        "peers": peers,
        "load": figures,
        "extras": extras,
        "ratios": ratios(figures, extras),
    }
    if baseline is not None:
        report["baseline"] = baseline_info(baseline)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    print_table(report)
    chart(report, out / "results.png")


def choose(parser: argparse.ArgumentParser, only: str | None, baseline: Path | None) -> list[str]:
    """The names of the servers to run, in the table's order."""
    keys = [key for key in KEYS if key != "before" or baseline is not None]
    if only is not None:
        wanted = [key.strip() for key in only.split(",") if key.strip()]
        unknown = [key for key in wanted if key not in KEYS]
        if unknown:
            parser.error(f"--only: unknown {', '.join(unknown)} (known: {', '.join(KEYS)})")
        if "before" in wanted and baseline is None:
            parser.error("--only before needs --baseline DIR")
        keys = [key for key in keys if key in wanted]
    if baseline is not None and not (baseline / "src" / "mka1_mock").is_dir():
        parser.error(f"--baseline: {baseline}/src/mka1_mock is not there")
    return [KEYS[key] for key in keys]


def plan(
    chosen: list[str], scratch: Path, baseline: Path | None
) -> tuple[list[Server], dict[str, str]]:
    """The servers to measure, with a note per npm peer (how it was had, or why it is skipped)."""
    seeded = seeder(SEEDED)
    servers = {
        MOCK: Server(MOCK, MOCK_COMMAND, reset=seeded),
        NO_VALIDATION: Server(
            NO_VALIDATION, [sys.executable, "bench/serve.py", "{port}"], reset=seeded
        ),
        BARE: Server(BARE, [sys.executable, "bench/bare.py", "{port}"]),
    }
    if baseline is not None:
        path = os.pathsep.join(filter(None, [str(baseline / "src"), os.environ.get("PYTHONPATH")]))
        servers[BEFORE] = Server(
            BEFORE, MOCK_COMMAND, env={**os.environ, "PYTHONPATH": path}, reset=seeded
        )
    peers: dict[str, str] = {}
    if PRISM in chosen:
        prism, peers[PRISM] = npm_install(
            "prism", "@stoplight/prism-cli", PRISM_VERSION, "node_modules/.bin/prism"
        )
        if prism:
            servers[PRISM] = Server(
                PRISM,
                [prism, "mock", "-h", "127.0.0.1", str(ROOT / "openapi.yaml"), "-p", "{port}"],
            )
    json_server = jar = None
    if JSON_SERVER in chosen:
        json_server, peers[JSON_SERVER] = npm_install(
            "json-server", "json-server", JSON_SERVER_VERSION, "node_modules/.bin/json-server"
        )
    if WIREMOCK in chosen:
        if shutil.which("java") is None:
            peers[WIREMOCK] = "java is not installed"
        else:
            jar, peers[WIREMOCK] = npm_install(
                "wiremock", "wiremock", WIREMOCK_VERSION, "node_modules/wiremock/**/*.jar"
            )
    if json_server or jar:
        recorded = record_mock_answers()
        if json_server:
            servers[JSON_SERVER] = json_server_peer(json_server, scratch, recorded["prompts"])
            peers[JSON_SERVER] += (
                "; /prompts, list _page=1&_per_page=20, updates PATCH,"
                " a new process from db.json per workload and per measured run that writes"
            )
        if jar:
            servers[WIREMOCK] = wiremock_peer(jar, scratch, recorded)
            peers[WIREMOCK] += (
                "; stubs answer mka1-mock's recorded answers; journal cleared per run"
            )
    for name in chosen:
        if name not in servers:
            print(f"{name}: skipped ({peers.get(name, 'not available')})", flush=True)
    return [servers[name] for name in chosen if name in servers], peers


def measure(server: Server, load: Load) -> dict[str, Any]:
    """Each workload's median figures for one server: a warm-up run, then the measured runs."""
    cells: dict[str, Any] = {}
    if not server.restart:
        with serving(server) as url:
            for workload, script in WORKLOADS.items():
                runs = warm_then_measure(server, url, script, load, load.repeat)
                cells[workload] = report_cell(server, workload, runs)
        return cells
    for workload, script in WORKLOADS.items():
        runs = []
        for repeat in [1] * load.repeat if workload in WRITES else [load.repeat]:
            with serving(server) as url:
                runs += warm_then_measure(server, url, script, load, repeat)
        cells[workload] = report_cell(server, workload, runs)
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


def report_cell(server: Server, workload: str, runs: list[dict[str, float]]) -> dict[str, float]:
    cell = summarize(runs)
    print(f"{server.name:28} {workload:28} {cell}", flush=True)
    return cell


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


def npm_install(
    folder_name: str, package: str, version: str, wanted: str
) -> tuple[str | None, str]:
    """package@version from npm into bench/.cache/folder_name; the path of the file that the glob
    ``wanted`` finds there, or (None, why) when it cannot be had."""
    folder = CACHE / folder_name

    def installed() -> str | None:
        manifest = folder / "node_modules" / package / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != version:
            return None
        return next((str(path) for path in sorted(folder.glob(wanted))), None)

    found = installed()
    if found is None:
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
                f"{package}@{version}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        found = installed()
        if done.returncode != 0 or found is None:
            said = [line for line in done.stderr.splitlines() if "complete log" not in line]
            return None, f"npm install failed: {' / '.join(said[:3]) or done.returncode}"
    return found, f"{package}@{version} from npm"


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


def seed_state(url: str, count: int) -> None:
    """Reset the mock and give token "bench" prompts prompt_<i as 32 hex>, i = 1..count."""
    call(url, "POST", "/__mock/reset")
    prompts = [
        {
            "owner": {"token": "bench"},
            "id": prompt_id(i),
            "name": f"prompt {i}",
            "versions": [{"template": "Hello {{name}}! Welcome to {{company}}."}],
        }
        for i in range(1, count + 1)
    ]
    call(url, "PUT", "/__mock/state", {"prompts": prompts})


def seeder(count: int) -> Callable[[str], None]:
    return lambda url: seed_state(url, count)


def record_mock_answers() -> dict[str, Any]:
    """Start mka1-mock once, seeded as for the load, and record what it answers: every seeded
    prompt as getPrompt returns it (json-server's data), and one (status, body) per operation
    (WireMock's stubs). The list is recorded before the create, as the list workload sees it."""
    with serving(Server(MOCK, MOCK_COMMAND)) as url:
        seed_state(url, SEEDED)
        prompts = [call(url, "GET", f"{PROMPTS}/{prompt_id(i)}") for i in range(1, SEEDED + 1)]
        return {
            "prompts": prompts,
            "get": fetch(url, "GET", f"{PROMPTS}/{prompt_id(1)}"),
            "list": fetch(url, "GET", f"{PROMPTS}?limit=20"),
            "create": fetch(url, "POST", PROMPTS, TEMPLATE),
            "update": fetch(url, "PUT", f"{PROMPTS}/{prompt_id(1)}", '{"name": "renamed 1"}'),
        }


def json_server_peer(binary: str, scratch: Path, prompts: list[Any]) -> Server:
    """json-server on a db.json of the seeded prompts in a scratch folder. It keeps its data in
    memory and rewrites the whole db.json on every write, so a create costs more as prompts pile
    up; and it did not reliably reload db.json rewritten while it ran. So each workload starts a
    new process from a freshly written db.json, and so does each measured run of a workload that
    writes (each process with its own warm-up, whose creates stay: about 2 s worth of them)."""
    folder = scratch / "json-server"
    folder.mkdir()
    seed = json.dumps({"prompts": prompts})

    def write_db() -> None:
        (folder / "db.json").write_text(seed)

    return Server(
        JSON_SERVER,
        [binary, "--host", "127.0.0.1", "--port", "{port}", "db.json"],
        ready="/prompts?_page=1&_per_page=1",
        cwd=folder,
        script_args=JSON_SERVER_ARGS,
        prepare=write_db,
        restart=True,
    )


def wiremock_peer(jar: str, scratch: Path, recorded: dict[str, Any]) -> Server:
    """WireMock with one stub per operation, answering what mka1-mock answered. Default options:
    its request journal keeps every request, so it is cleared before each run, as the mock's
    state is reset."""
    root = scratch / "wiremock"
    (root / "mappings").mkdir(parents=True)
    by_id = {"urlPathPattern": PROMPTS + "/prompt_[0-9a-f]{32}"}
    stubs = {
        "getPrompt": ("GET", by_id, recorded["get"]),
        "createPrompt": ("POST", {"urlPath": PROMPTS}, recorded["create"]),
        "updatePrompt": ("PUT", by_id, recorded["update"]),
        "listPrompts": ("GET", {"urlPath": PROMPTS}, recorded["list"]),
    }
    for name, (method, url, (status, body)) in stubs.items():
        stub = {
            "name": name,
            "request": {"method": method, **url},
            "response": {
                "status": status,
                "body": body,
                "headers": {"Content-Type": "application/json"},
            },
        }
        (root / "mappings" / f"{name}.json").write_text(json.dumps(stub, indent=2))

    def clear_journal(url: str) -> None:
        fetch(url, "DELETE", "/__admin/requests")

    return Server(
        WIREMOCK,
        [
            "java",
            "-jar",
            jar,
            "--port",
            "{port}",
            "--bind-address",
            "127.0.0.1",
            "--root-dir",
            str(root),
            "--disable-banner",
        ],
        ready="/__admin/health",
        reset=clear_journal,
        timeout=120,
    )


def baseline_info(folder: Path) -> dict[str, str]:
    done = subprocess.run(
        ["git", "-C", str(folder), "log", "-1", "--format=%H %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit, _, subject = done.stdout.strip().partition(" ")
    return {"dir": str(folder.resolve()), "commit": commit, "subject": subject}


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


def ratios(load: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue compares; each only when the servers it needs ran."""

    def rps(name: str, workload: str) -> float | None:
        cell = load.get(name, {}).get(workload)
        return float(cell["rps"]) if cell and cell["rps"] > 0 else None

    def ratio(workload: str, other: str) -> float | None:
        ours, theirs = rps(MOCK, workload), rps(other, workload)
        return round(ours / theirs, 2) if ours is not None and theirs is not None else None

    out: dict[str, Any] = {
        "get_vs_json_server": ratio(GET, JSON_SERVER),
        "create_vs_wiremock": ratio(CREATE, WIREMOCK),
        "mix_vs_bare": ratio(MIX, BARE),
        "mix_vs_prism": ratio(MIX, PRISM),
        "mix_vs_before": ratio(MIX, BEFORE),
    }
    if MOCK in load:
        out["mix_p99_ms"] = load[MOCK][MIX]["p99_ms"]
    if BEFORE in load:
        out["mix_p99_ms_before"] = load[BEFORE][MIX]["p99_ms"]
    if MOCK in load and NO_VALIDATION in load:
        overhead = {}
        for workload in WORKLOADS:
            with_v, without = load[MOCK][workload]["rps"], load[NO_VALIDATION][workload]["rps"]
            overhead[workload] = round((1 / with_v - 1 / without) * 1e6, 1)
        out["validation_overhead_us_from_throughput"] = overhead
    if "list_p50_ms_1000" in extras:
        out["list_100k_vs_1k"] = round(extras["list_p50_ms_100000"] / extras["list_p50_ms_1000"], 2)
    return {key: value for key, value in out.items() if value is not None}


RATIO_LABELS = {
    "get_vs_json_server": "getPrompt, mka1-mock / json-server",
    "create_vs_wiremock": "createPrompt, mka1-mock / WireMock",
    "mix_vs_bare": "mix, mka1-mock / bare Starlette",
    "mix_vs_prism": "mix, mka1-mock / Prism",
    "mix_vs_before": "mix, mka1-mock / mka1-mock before",
    "mix_p99_ms": "mix p99 of mka1-mock (ms)",
    "mix_p99_ms_before": "mix p99 of mka1-mock before (ms)",
    "list_100k_vs_1k": "list p50, 100,000 / 1,000 prompts",
}


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
    load, settings = report["load"], report["settings"]
    print(
        f"\nreq/s (p50 / p99 ms), median of {settings['repeat']} runs of {settings['duration_s']} s"
        f" after {settings['warmup_s']} s of warm-up; wrk {settings['threads']} thread(s),"
        f" {settings['connections']} connections"
    )
    print(f"{'server':28}" + "".join(f"{workload:>28}" for workload in WORKLOADS))
    for name, cells in load.items():
        print(
            f"{name:28}"
            + "".join(
                f"{c['rps']:,.0f} ({c['p50_ms']:.1f} / {c['p99_ms']:.1f})".rjust(28)
                for c in (cells[workload] for workload in WORKLOADS)
            )
        )
    failed = [
        f"{name}, {workload}: {cell['non_2xx']:.0f} non-2xx"
        for name, cells in load.items()
        for workload, cell in cells.items()
        if cell["non_2xx"] or cell["socket_errors"]
    ]
    if failed:
        print("errors (median count):", "; ".join(failed))
    print("\nratios:")
    for key, value in report["ratios"].items():
        if key in RATIO_LABELS:
            print(f"  {RATIO_LABELS[key]:40} {value}")
    print(
        "\n"
        + json.dumps(
            {
                "extras": report["extras"],
                "validation_overhead_us_from_throughput": report["ratios"].get(
                    "validation_overhead_us_from_throughput"
                ),
            },
            indent=2,
        )
    )
    for peer, note in report["peers"].items():
        if peer not in load:
            print(f"{peer}: {note}")


def chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: no chart (pip install -e '.[bench]' brings matplotlib)")
        return
    load, settings = report["load"], report["settings"]
    names = list(load)
    if not names:
        return
    width = 0.8 / len(names)
    figure, axes = plt.subplots(figsize=(12, 5.5))
    for index, name in enumerate(names):
        values = [load[name][workload]["rps"] for workload in WORKLOADS]
        positions = [w + index * width for w in range(len(WORKLOADS))]
        axes.bar(positions, values, width, label=name)
    axes.set_xticks([w + width * (len(names) - 1) / 2 for w in range(len(WORKLOADS))])
    axes.set_xticklabels(list(WORKLOADS))
    axes.set_ylabel("requests/s (median)")
    axes.set_title(
        f"wrk, {settings['threads']} thread(s), {settings['connections']} connections,"
        f" {report['machine']['cores']} cores, loopback"
    )
    axes.legend(fontsize="small", ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.07))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
