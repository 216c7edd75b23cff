"""The side-by-side benchmark: ``python bench/run.py`` (after ``pip install -e '.[bench]'``).

Runs every server on loopback under the same wrk load, prints a table, and writes results.json
and results.png into --out (default bench/results). Needs wrk (Debian: ``apt-get install wrk``,
done here when run as root) and, for the peers, npm (Prism, json-server and WireMock are
installed into bench/.cache) and Java 17 (WireMock). A peer that cannot be had is skipped, with
the reason printed.

Servers, by the names --only takes: mock (mka1-mock), session (the same, every path under
/sessions/bench: what the session prefix costs), before (mka1-mock from the checkout that
--baseline names), no-validation (mka1-mock with validation off, bench/serve.py), bare (bare
Starlette, bench/bare.py), prism, json-server, wiremock, and proxy (mka1-mock proxy in front of
an mka1-mock: getPrompt through it against the same upstream called directly, and the p50 it
adds from one connection; bench/proxy.py). ``--only proxy`` runs just that, without the extras.

The parts: servers.py (starting, stopping, seeding), peers.py (the npm peers), load.py (wrk,
medians, the extras), proxy.py (the proxy's figures), report.py (ratios, table, chart).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from load import (
    CONNECTIONS,
    THREADS,
    Load,
    in_process_figures,
    list_scaling,
    measure,
    require_wrk,
    sessions_memory,
    start_to_first_200,
)
from peers import (
    JSON_SERVER,
    JSON_SERVER_VERSION,
    PRISM,
    PRISM_VERSION,
    WIREMOCK,
    WIREMOCK_VERSION,
    json_server_peer,
    npm_install,
    prism_peer,
    record_mock_answers,
    wiremock_peer,
)
from proxy import measure_proxy
from report import baseline_info, chart, machine, print_table, ratios
from servers import (
    BARE,
    BEFORE,
    MOCK,
    MOCK_COMMAND,
    NO_VALIDATION,
    PROMPTS,
    PROXY,
    ROOT,
    SEEDED,
    SESSION,
    SESSION_PREFIX,
    Server,
    seeder,
    stop_on_signal,
)

RESULTS = ROOT / "bench" / "results"
KEYS = {  # in the table's order
    "mock": MOCK,
    "session": SESSION,
    "before": BEFORE,
    "no-validation": NO_VALIDATION,
    "bare": BARE,
    "prism": PRISM,
    "json-server": JSON_SERVER,
    "wiremock": WIREMOCK,
    "proxy": PROXY,
}


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
        help="skip start_to_first_200, in_process, list_scaling and sessions_memory (so does --only"
        " proxy)",
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
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mka1-bench-") as scratch:
        servers, peers = plan([name for name in chosen if name != PROXY], Path(scratch), baseline)
        for server in servers:
            figures[server.name] = measure(server, load)
    proxy: dict[str, Any] | None = None
    if PROXY in chosen:
        figures[PROXY], proxy = measure_proxy(load)
    extras: dict[str, Any] = {}
    if not args.no_extras and chosen != [PROXY]:
        extras = {
            "start_to_first_200_ms": start_to_first_200(),
            **in_process_figures(),
            **list_scaling(load.wrk),
            **sessions_memory(),
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
        "ratios": ratios(figures, extras, proxy),
    }
    if proxy is not None:
        report["proxy"] = proxy
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
        SESSION: Server(
            SESSION,
            MOCK_COMMAND,
            ready=SESSION_PREFIX + PROMPTS,
            script_args=(SESSION_PREFIX + PROMPTS,),
            reset=seeder(SEEDED, SESSION_PREFIX),
        ),
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
            servers[PRISM] = prism_peer(prism)
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


if __name__ == "__main__":
    main()
