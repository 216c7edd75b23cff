"""The validating proxy's figures: getPrompt through ``mka1-mock proxy`` against the same
upstream called directly, in the same run. One mka1-mock process, seeded like the mock, is the
upstream; the proxy runs in front of it. Throughput: the table's wrk settings, direct and proxied
runs taking turns. Added latency: the p50 from one connection (wrk -t1 -c1) through the proxy
minus the p50 from one connection to the upstream. The issue's targets: p50 added <= 1 ms on
loopback, throughput >= 50% of direct."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from load import GET, WORKLOADS, Load, report_cell, run_wrk
from servers import MOCK, MOCK_COMMAND, PROXY, SEEDED, Server, call, seed_state, serving

# python -m mka1_mock proxy --upstream {upstream} --log-level warning --port {port}
PROXY_COMMAND = [*MOCK_COMMAND[:3], "proxy", "--upstream", "{upstream}", *MOCK_COMMAND[3:]]
TARGET_ADDED_P50_MS, TARGET_RATIO = 1.0, 0.5
ONE = f"{GET}, one connection"  # how the runs from one connection are printed


def measure_proxy(load: Load) -> tuple[dict[str, Any], dict[str, Any]]:
    """The proxy's cells for the table (getPrompt only) and its block for results.json."""
    script = WORKLOADS[GET]
    one = replace(load, threads=1, connections=1)
    with serving(Server(MOCK, MOCK_COMMAND)) as upstream:
        command = [part.replace("{upstream}", upstream) for part in PROXY_COMMAND]
        with serving(Server(PROXY, command)) as proxied:
            targets = {"direct": upstream, "proxy": proxied}
            if load.warmup > 0:
                for url in targets.values():
                    seed_state(upstream, SEEDED)
                    run_wrk(load, url, script, load.warmup)
            runs: dict[tuple[str, str], list[dict[str, float]]] = {}
            for width, settings in ("many", load), ("one", one):
                for _ in range(load.repeat):
                    for key, url in targets.items():
                        seed_state(upstream, SEEDED)
                        run = run_wrk(settings, url, script, load.duration)
                        runs.setdefault((key, width), []).append(run)
            checked = call(proxied, "GET", "/__mock/report")["summary"]
    direct = report_cell(f"{MOCK} (upstream, direct)", GET, runs["direct", "many"])
    proxy = report_cell(PROXY, GET, runs["proxy", "many"])
    direct_one = report_cell(f"{MOCK} (upstream, direct)", ONE, runs["direct", "one"])
    proxy_one = report_cell(PROXY, ONE, runs["proxy", "one"])
    block = {
        "workload": GET,
        "connections": load.connections,
        "direct_rps": direct["rps"],
        "proxy_rps": proxy["rps"],
        "ratio": round(proxy["rps"] / direct["rps"], 2) if direct["rps"] > 0 else None,
        "direct_p50_ms": direct["p50_ms"],
        "proxy_p50_ms": proxy["p50_ms"],
        "direct_p50_ms_one_connection": direct_one["p50_ms"],
        "proxy_p50_ms_one_connection": proxy_one["p50_ms"],
        "added_p50_ms": round(proxy_one["p50_ms"] - direct_one["p50_ms"], 3),
        "target_ratio": TARGET_RATIO,
        "target_added_p50_ms": TARGET_ADDED_P50_MS,
        "exchanges_seen_by_proxy": checked["exchanges"],
        "violations_seen_by_proxy": checked["violations"],
    }
    return {GET: proxy}, block
