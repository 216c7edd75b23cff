"""The report: the ratios the issue compares, the printed table, the chart, and what the figures
were measured on (the machine, the baseline's commit)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from load import CREATE, GET, MIX, WORKLOADS
from peers import JSON_SERVER, PRISM, WIREMOCK
from servers import BARE, BEFORE, MOCK, NO_VALIDATION, SESSION

RATIO_LABELS = {
    "get_vs_json_server": "getPrompt, mka1-mock / json-server",
    "create_vs_wiremock": "createPrompt, mka1-mock / WireMock",
    "mix_vs_bare": "mix, mka1-mock / bare Starlette",
    "mix_vs_prism": "mix, mka1-mock / Prism",
    "mix_vs_before": "mix, mka1-mock / mka1-mock before",
    "mix_p99_ms": "mix p99 of mka1-mock (ms)",
    "mix_p99_ms_before": "mix p99 of mka1-mock before (ms)",
    "list_100k_vs_1k": "list p50, 100,000 / 1,000 prompts",
    "session_vs_default": "req/s in a session / without one, per workload",
    "get_proxy_vs_direct": "getPrompt, proxy / direct",
    "proxy_added_p50_ms": "p50 added by the proxy, one connection (ms)",
}


def ratios(
    load: dict[str, Any], extras: dict[str, Any], proxy: dict[str, Any] | None = None
) -> dict[str, Any]:
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
    if MOCK in load and SESSION in load:
        out["session_vs_default"] = {
            workload: round(load[SESSION][workload]["rps"] / load[MOCK][workload]["rps"], 2)
            for workload in WORKLOADS
        }
    if "list_p50_ms_1000" in extras:
        out["list_100k_vs_1k"] = round(extras["list_p50_ms_100000"] / extras["list_p50_ms_1000"], 2)
    if proxy is not None:
        out["get_proxy_vs_direct"] = proxy["ratio"]
        out["proxy_added_p50_ms"] = proxy["added_p50_ms"]
    return {key: value for key, value in out.items() if value is not None}


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


def baseline_info(folder: Path) -> dict[str, str]:
    done = subprocess.run(
        ["git", "-C", str(folder), "log", "-1", "--format=%H %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit, _, subject = done.stdout.strip().partition(" ")
    return {"dir": str(folder.resolve()), "commit": commit, "subject": subject}


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
            + "".join(cell_text(cells.get(workload)).rjust(28) for workload in WORKLOADS)
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
    width = max(len(label) for label in RATIO_LABELS.values())
    for key, value in report["ratios"].items():
        if key in RATIO_LABELS:
            print(f"  {RATIO_LABELS[key]:{width}} {value}")
    shown = {
        "extras": report["extras"],
        "validation_overhead_us_from_throughput": report["ratios"].get(
            "validation_overhead_us_from_throughput"
        ),
    }
    if "proxy" in report:
        shown["proxy"] = report["proxy"]
    print("\n" + json.dumps(shown, indent=2))
    for peer, note in report["peers"].items():
        if peer not in load:
            print(f"{peer}: {note}")


def cell_text(cell: dict[str, float] | None) -> str:
    """req/s (p50 / p99 ms) of a cell; a dash for a workload the server did not run."""
    if cell is None:
        return "-"
    return f"{cell['rps']:,.0f} ({cell['p50_ms']:.1f} / {cell['p99_ms']:.1f})"


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
        measured = [(w, load[name].get(workload)) for w, workload in enumerate(WORKLOADS)]
        positions = [w + index * width for w, cell in measured if cell]
        values = [cell["rps"] for _, cell in measured if cell]
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
