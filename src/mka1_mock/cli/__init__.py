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
from ..settings import Settings
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
@click.version_option(__version__, prog_name="mka1-mock")
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """Run the MKA1 Prompts API mock; or, with a command, another tool."""
    if ctx.invoked_subcommand is not None:
        return
    settings = Settings(**options | {"api_keys": frozenset(options["api_keys"])})
    logging.basicConfig(format="%(asctime)s %(message)s", level=settings.log_level.upper())
    try:
        app = create_app(settings)
    except MockError as exc:
        fail(str(exc))
    serve(app, settings)


main.add_command(proxy)
main.add_command(drift)
main.add_command(har_to_fixtures)
