"""``mka1-mock proxy``: the validating proxy, and its report at shutdown."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from .. import report
from ..app import create_proxy_app
from ..errors import MockError
from ..har import HarWriter
from ..proxy import ProxyOptions
from ..redaction import Redactor
from ..settings import Settings
from ..upstream import Upstream
from .serving import common, fail, serve, server_url, writable, write


@click.command()
@click.option(
    "--upstream",
    required=True,
    help="The API to forward to, e.g. https://apigw.mka1.com (or any server of the contract).",
)
@common
@click.option(
    "--mode",
    type=click.Choice(["report", "enforce"]),
    default="report",
    help="report: forward everything unchanged; enforce: a bad request gets the mock's 400 "
    "and is never sent, a bad response becomes a 502.",
)
@click.option("--no-validate-request", is_flag=True, help="Do not check requests.")
@click.option("--no-validate-response", is_flag=True, help="Do not check responses.")
@click.option("--no-violations-header", is_flag=True, help="Do not add X-Mock-Violations: <count>.")
@click.option("--strict", is_flag=True, help="Count calls outside the contract as violations.")
@click.option(
    "--upstream-timeout",
    default=30.0,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for the upstream; then 504.",
)
@click.option(
    "--upstream-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of a CA to trust for an HTTPS upstream (certificates are always verified).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="Write the JSON report here at shutdown (it is live at GET /__mock/report).",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(path_type=Path),
    help="Write the report as JUnit XML here at shutdown.",
)
@click.option(
    "--fail-on-violation", is_flag=True, help="Exit 1 at shutdown if any violation was seen."
)
@click.option(
    "--har",
    "har_path",
    type=click.Path(path_type=Path),
    help="Record every exchange as HAR 1.2 here, streamed, secrets redacted.",
)
@click.option(
    "--har-keep-header",
    "keep",
    multiple=True,
    help="Keep this secret header in clear in the HAR, journal and reports (repeatable).",
)
def proxy(**options: Any) -> None:
    """Forward to the upstream and check both directions against the contract."""
    settings = Settings(
        host=options["host"],
        port=options["port"],
        spec_path=options["spec_path"],
        journal_size=options["journal_size"],
        log_level=options["log_level"],
        admin_token=options["admin_token"],
    )
    logging.basicConfig(format="%(asctime)s %(message)s", level=settings.log_level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the proxy logs each exchange itself
    upstream = options["upstream"]
    server_url("--upstream", upstream)
    writable(report=options["report_path"], junit=options["junit_path"], har=options["har_path"])
    redactor = Redactor(keep=options["keep"])
    proxy_options = ProxyOptions(
        mode=options["mode"],
        validate_request=not options["no_validate_request"],
        validate_response=not options["no_validate_response"],
        violations_header=not options["no_violations_header"],
        strict=options["strict"],
    )
    try:
        client = Upstream(upstream, options["upstream_timeout"], options["upstream_ca"])
        har = HarWriter(options["har_path"], redactor) if options["har_path"] else None
        app = create_proxy_app(settings, client, proxy_options, redactor=redactor, har=har)
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    except MockError as exc:
        fail(str(exc))
    click.echo(f"mka1-mock proxy: forwarding to {upstream} ({options['mode']} mode)", err=True)
    serve(app, settings, lifespan="on", server_header=False, date_header=False)
    data = report.build(app.state.session)
    click.echo("mka1-mock proxy: " + report.summary(data), err=True)
    written = [
        write(options["report_path"], json.dumps(data, indent=2, ensure_ascii=False) + "\n"),
        write(options["junit_path"], report.junit(data)),
    ]
    if not all(written):
        sys.exit(2)
    if data["summary"]["failed"] and options["fail_on_violation"]:
        sys.exit(1)
