"""What the commands share: their common options, serving until a signal, failing in one line."""

from __future__ import annotations

import gc
import ipaddress
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click
import httpx
import uvicorn
from starlette.types import ASGIApp

from .._version import __version__
from ..errors import MockError
from ..faults import MAX_DELAY_MS
from ..server import listen
from ..settings import Settings

LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]
CONTEXT = {"auto_envvar_prefix": "MKA1_MOCK", "show_default": True}

COMMON = [
    click.option("--host", default="127.0.0.1", help="Interface to listen on."),
    click.option("--port", default=8000, type=click.IntRange(0, 65535), help="Port (0: any free)."),
    click.option(
        "--spec",
        "spec_path",
        type=click.Path(path_type=Path),
        default=None,
        help="OpenAPI document. Default: the bundled openapi.yaml.",
    ),
    click.option(
        "--journal-size",
        default=Settings.journal_size,
        type=click.IntRange(1),
        help="How many requests the journal keeps (oldest dropped first).",
    ),
    click.option(
        "--log-level", default="info", type=click.Choice(LOG_LEVELS), help="Logging level."
    ),
    click.option(
        "--admin-token",
        default=None,
        help="Require Authorization: Bearer TOKEN on every /__mock/ call (the API is unaffected).",
    ),
]


def common(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options the mock and the proxy share."""
    for option in reversed(COMMON):
        command = option(command)
    return command


def serve(app: ASGIApp, settings: Settings, **options: Any) -> None:
    """Serve until Ctrl-C or SIGTERM, after a clean shutdown; a port in use stops it (exit 2)."""
    try:
        sock = listen(settings.host, settings.port)
    except MockError as exc:
        fail(str(exc))
    bound_host, bound_port = sock.getsockname()[:2]
    click.echo(f"mka1-mock {__version__} listening on http://{bound_host}:{bound_port}", err=True)
    if not settings.admin_token and not _loopback(settings.host):
        click.echo(
            f"mka1-mock: warning: listening on {settings.host} with no --admin-token: anyone "
            "who can reach it can reset or drop sessions and read the tokens in the journal",
            err=True,
        )
    tune_gc()
    config: dict[str, Any] = {"log_level": settings.log_level, "access_log": False}
    config |= {"lifespan": "off"} | options
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        uvicorn.Server(uvicorn.Config(app, **config)).run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass  # uvicorn shut down cleanly, then raised the signal it had handled again
    finally:
        signal.signal(signal.SIGTERM, previous)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class _Stopped(Exception):
    """SIGTERM, after uvicorn's graceful shutdown: the command goes on to its exit code."""


def _stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise _Stopped


def tune_gc() -> None:
    """For a process that only serves: what start-up built lives as long as the process, so keep
    it out of every GC pass, and make full collections rarer, so that growing state does not
    pause answers (createPrompt p99 under load: 27 ms to about 10 ms)."""
    gc.freeze()
    gc.set_threshold(700, 10, 1000)


def latency(value: str | None) -> tuple[int, int] | None:
    """``200`` -> (200, 200); ``100-300`` -> (100, 300)."""
    if value is None:
        return None
    low, _, high = value.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not MS or MIN-MAX (whole milliseconds)") from None
    if not 0 <= bounds[0] <= bounds[1] <= MAX_DELAY_MS:
        raise click.BadParameter(f"{value!r} must be 0 <= MIN <= MAX <= {MAX_DELAY_MS}")
    return bounds


def fail(reason: str) -> NoReturn:
    click.echo(f"mka1-mock: error: {reason}", err=True)
    sys.exit(2)


def server_url(option: str, url: str | None) -> str | None:
    """The URL without its trailing slash; one that is not http(s) with a host is refused."""
    if url is None:
        return None
    try:
        valid = url.startswith(("http://", "https://")) and bool(httpx.URL(url).host)
    except httpx.InvalidURL:
        valid = False
    if not valid:
        fail(f"{option} {url!r} must be an http:// or https:// URL with a host")
    return url.rstrip("/")


def writable(**paths: Path | None) -> None:
    """A result file whose folder is missing is refused up front, not found out at the end."""
    for option, path in paths.items():
        if path is not None and not path.parent.is_dir():
            fail(f"--{option} {path}: the folder {path.parent} does not exist")


def write(path: Path | None, text: str) -> bool:
    """Write a result file; a failure is said in one line, and the other files still written."""
    if path is None:
        return True
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        click.echo(f"mka1-mock: error: {path}: cannot write it: {exc.strerror}", err=True)
        return False
    return True
