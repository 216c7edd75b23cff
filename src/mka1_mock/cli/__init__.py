"""The ``mka1-mock`` command: the mock when no command is given; ``proxy``, ``drift`` and
``har-to-fixtures``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from .._version import __version__
from ..app import create_app
from ..errors import MockError
from ..limits import DEFAULT_MAX_PROMPTS
from ..settings import DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL, Settings
from ..state import Saver
from .drift import drift, har_to_fixtures
from .proxy import proxy
from .serving import CONTEXT, common, fail, latency, serve


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@common
@click.option("--seed", type=int, default=None, help="Make generated IDs repeatable.")
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    help="Accept only this bearer token (repeatable). Default: any non-empty token.",
)
@click.option(
    "--max-body-size",
    default=Settings.max_body_size,
    type=click.IntRange(1),
    help="Largest request body in bytes; larger ones get 413.",
)
@click.option(
    "--fixtures",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Fixture file or folder to seed the state from (repeatable); reset restores it.",
)
@click.option(
    "--latency",
    "latency_ms",
    callback=lambda ctx, param, value: latency(value),
    help="Delay every API answer: MS, or MIN-MAX drawn with the seed.",
)
@click.option(
    "--faults",
    "fault_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Fault rules file (JSON/YAML, {faults: [...]}) active from start and after reset.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep every session's prompts in this file across restarts (read at start, written "
    "after changes, at most once a second, and at shutdown). Default: nothing is kept.",
)
@click.option(
    "--max-prompts",
    default=DEFAULT_MAX_PROMPTS,
    type=click.IntRange(0),
    help="Prompts held in total across sessions; past it, createPrompt answers 507.",
)
@click.option(
    "--max-sessions",
    default=DEFAULT_MAX_SESSIONS,
    type=click.IntRange(1),
    help="Named sessions (/sessions/{name}/...) at once; past it, a new one is a 507.",
)
@click.option(
    "--session-ttl",
    default=DEFAULT_SESSION_TTL,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds after which an idle named session is dropped.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    default=("*",),
    help="An origin browsers may call from (repeatable).",
)
@click.option("--no-cors", is_flag=True, help="Answer no CORS preflight, add no CORS headers.")
@click.version_option(__version__, prog_name="mka1-mock")
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """Run the MKA1 Prompts API mock; or, with a command, another tool."""
    if ctx.invoked_subcommand is not None:
        return
    origins = () if options.pop("no_cors") else options["cors_origins"]
    settings = Settings(
        **options | {"api_keys": frozenset(options["api_keys"]), "cors_origins": origins}
    )
    logging.basicConfig(format="%(asctime)s %(message)s", level=settings.log_level.upper())
    try:
        app = create_app(settings)
    except MockError as exc:
        fail(str(exc))
    state = getattr(app.state, "state_file", None)
    saver = Saver(state).start() if state is not None else None
    try:
        serve(app, settings)
    finally:
        if saver is not None:
            saver.stop()


main.add_command(proxy)
main.add_command(drift)
main.add_command(har_to_fixtures)
