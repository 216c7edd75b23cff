"""``mka1-mock drift`` and ``mka1-mock har-to-fixtures``: where the mock and a real service
differ, and a recording turned into seed data."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click
import httpx

from ..errors import MockError
from ..seeding import check_fixture
from .serving import fail, server_url, writable, write

EXIT_INTERRUPTED = 130
"""The exit status of a run cut short by Ctrl-C or SIGTERM (128 + SIGINT), as a shell gives."""


@click.command()
@click.option("--target", help="Run the probe scenario against this server (e.g. the real API).")
@click.option(
    "--token",
    help="The bearer token (for --target; with --against, it replaces the recording's).",
)
@click.option(
    "--har",
    "har_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replay this recording (mka1-mock proxy --har) instead, and compare with it.",
)
@click.option("--against", help="With --har: replay against this server, not a fresh mock.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="JSON report.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path), help="JUnit XML.")
@click.option(
    "--timeout",
    default=30.0,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for each answer.",
)
def drift(**options: Any) -> None:
    """Compare the mock with a real service, probe by probe (or a recording, exchange by
    exchange), by shape: exit 1 on any difference."""
    from ..drift import output

    if bool(options["target"]) == bool(options["har_path"]):
        fail("give --target URL (with --token) or --har FILE")
    if options["target"] and not options["token"]:
        fail("--target needs --token KEY")
    target = server_url("--target", options["target"])
    against = server_url("--against", options["against"])
    writable(report=options["report_path"], junit=options["junit_path"])
    interrupted = False
    if target:
        from ..drift.runner import run

        # A CI job's timeout sends SIGTERM: stop as for Ctrl-C, so the cleanup still runs.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        result = run(target, options["token"], timeout=options["timeout"])
        data = output.report(result, target)
        rows = output.probe_rows(data)
        click.echo(output.table(rows))
        click.echo(output.summary(data), err=True)
        failed = bool(data["summary"]["differ"] or data["cleanup"]["leftovers"])
        interrupted = result.interrupted
    else:
        data = _replay(options["har_path"], against, options["token"], options["timeout"])
        rows = output.exchange_rows(data)
        click.echo(output.table(rows))
        summary = data["summary"]
        figures = f"{summary['agree']} agree, {summary['differ']} differ"
        click.echo(f"{summary['exchanges']} exchanges replayed: {figures}.", err=True)
        if data["stopped"]:
            click.echo(f"Stopped early: {data['stopped']}.", err=True)
        failed = bool(summary["differ"])
    written = [
        write(options["report_path"], json.dumps(data, indent=2, ensure_ascii=False) + "\n"),
        write(options["junit_path"], output.junit(rows, "drift")),
    ]
    sys.exit(EXIT_INTERRUPTED if interrupted else 2 if not all(written) else 1 if failed else 0)


def _replay(har: Path, against: str | None, token: str | None, timeout: float) -> dict[str, Any]:
    from ..drift import output
    from ..drift.recording import Replay, read
    from ..drift.runner import fresh_mock

    try:
        recording = read(har)
    except MockError as exc:
        fail(str(exc))
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        if against:
            replay = Replay(client, against, token)
            steps = list(replay.steps(recording))
        else:
            with fresh_mock() as url:
                replay = Replay(client, url)
                steps = list(replay.steps(recording))
    return output.exchanges_report(steps, str(har), against or "a fresh mock", replay.stopped)


@click.command("har-to-fixtures")
@click.argument("har_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="Where to write."
)
@click.option("--token", required=True, help="The token that owns the prompts in the fixture.")
def har_to_fixtures(har_path: Path, out: Path, token: str) -> None:
    """Turn the prompts and versions of a recording into a fixture file."""
    from ..drift.recording import read, to_fixtures

    writable(output=out)
    try:
        data = to_fixtures(read(har_path), token, _warn)
        check_fixture(data, str(out))
    except MockError as exc:
        fail(str(exc))
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    click.echo(f"{out}: {len(data['prompts'])} prompts for token {token!r}", err=True)


def _warn(line: str) -> None:
    click.echo(f"mka1-mock: warning: {line}", err=True)
