"""pytest fixtures and marker for mka1-mock (installed through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .journal import failure_report
from .server import MockServer
from .settings import Settings

MARKER = (
    "mka1_mock(fixtures=None, seed=None, now=None): seed the mka1_mock fixture's state from "
    "fixture files or data, fix its IDs with a seed and freeze its clock at a time, for one test"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mka1-mock")
    group.addoption("--mka1-mock-spec", help="OpenAPI document to serve (default: bundled).")
    group.addoption(
        "--mka1-mock-fixtures",
        action="append",
        default=[],
        help="Fixture file or folder loaded into every test's state (repeatable).",
    )
    group.addoption("--mka1-mock-seed", type=int, help="Seed for repeatable IDs.")
    parser.addini("mka1_mock_spec", "OpenAPI document to serve (default: bundled).")
    parser.addini("mka1_mock_fixtures", "Fixture files or folders for every test.", type="paths")
    parser.addini("mka1_mock_seed", "Seed for repeatable IDs.")


SETTINGS = pytest.StashKey[Settings]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    config.stash[SETTINGS] = _settings(config)  # a bad option or ini value stops the run here


@pytest.fixture(scope="session")
def mka1_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One real mka1-mock per test session (and per xdist worker)."""
    with MockServer(pytestconfig.stash[SETTINGS]) as server:
        yield server


@pytest.fixture
def mka1_mock(mka1_mock_server: MockServer, request: pytest.FixtureRequest) -> MockServer:
    """The session's mock, reset for this test (state, journal, clock), as the marker asks."""
    marker = request.node.get_closest_marker("mka1_mock")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    mka1_mock_server.prepare(**options)
    return mka1_mock_server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test whose requests made the mock crash or break its contract, even when the
    client retried and the test passed (as pytest-httpserver does with its handler errors)."""
    result = yield
    server = getattr(item, "funcargs", {}).get("mka1_mock")
    if isinstance(server, MockServer):
        violations, crashes = server.violations(), server.crashes()
        if violations or crashes:
            pytest.fail(failure_report(violations, crashes), pytrace=False)
    return result


def _settings(config: pytest.Config) -> Settings:
    spec = config.getoption("mka1_mock_spec") or config.getini("mka1_mock_spec") or None
    seed = config.getoption("mka1_mock_seed")
    if seed is None and (value := config.getini("mka1_mock_seed")):
        try:
            seed = int(value)
        except ValueError:
            raise pytest.UsageError(
                f"mka1_mock_seed must be a whole number, not {value!r}"
            ) from None
    fixtures = [*config.getini("mka1_mock_fixtures"), *config.getoption("mka1_mock_fixtures")]
    return Settings(
        port=0,
        seed=seed,
        spec_path=Path(spec) if spec else None,
        fixtures=tuple(Path(path) for path in fixtures),
    )
