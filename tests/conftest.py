"""Shared fixtures: an in-process client by default, a real uvicorn where the network matters.

Both kinds of mock are built once (per xdist worker) and reset before every test to the state of
a new one: store, journal, violations, crashes, fault rules and clock (``Session.reset``). Every
test that uses one ends by checking that the mock broke no contract and did not crash.
Constants and helper functions are in ``tests/helpers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from mka1 import SDK
from mka1.utils import RetryConfig
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app
from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import (
    AUTH,
    NO_RETRIES,
    TOKEN,
    Connect,
    FakeClock,
    FakeSleep,
    FakeUpstream,
    SdkWaits,
    assert_clean,
    create_prompt,
    url,
)

pytest_plugins = ["pytester"]


# --------------------------------------------------------------------------- in-process


@pytest.fixture(scope="session")
def shared_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def shared_app(shared_clock: FakeClock) -> Starlette:
    """One in-process app for the tests (building one loads and checks the whole spec)."""
    return create_app(clock=shared_clock)


@pytest.fixture
def clock(shared_clock: FakeClock) -> FakeClock:
    """The in-process app's clock, at ``START``; it moves only when the test moves it."""
    shared_clock.reset()
    return shared_clock


@pytest.fixture
def stepping_clock(clock: FakeClock) -> FakeClock:
    """The clock, stepping a second per reading: a write that a rejected request sneaked
    through shows as a moved ``updated_at``."""
    clock.reset(step=1)
    return clock


@pytest.fixture
def app(shared_app: Starlette, clock: FakeClock) -> Starlette:
    """The in-process app, reset as if new."""
    session: Session = shared_app.state.session
    session.reset()
    return shared_app


@pytest.fixture
def session(app: Starlette) -> Session:
    """The app's state: store, journal, violations, crashes, faults, clock, settings."""
    state: Session = app.state.session
    return state


@pytest.fixture
def client(app: Starlette, session: Session) -> Iterator[TestClient]:
    """An authenticated client; each test also proves no response broke the contract."""
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client
    assert_clean(session)


@pytest.fixture
def rolled_back_prompt(client: TestClient) -> dict[str, Any]:
    """A prompt with versions 1 and 2, rolled back to 1, with a description and metadata."""
    created = create_prompt(
        client, name="n", template="v1 {{x}}", description="d", metadata={"k": 1}
    )
    prompt_id = created["id"]
    second = client.post(url(prompt_id, "/versions"), json={"template": "v2"})
    assert second.status_code == 201
    rolled = client.post(url(prompt_id, "/rollback"), json={"version": 1})
    assert rolled.status_code == 200
    data: dict[str, Any] = rolled.json()
    return data


@pytest.fixture(scope="session")
def small_app() -> Starlette:
    """An app whose body limit is 100 bytes."""
    return create_app(Settings(max_body_size=100), clock=FakeClock(step=1))


@pytest.fixture
def small(small_app: Starlette) -> Iterator[TestClient]:
    """An authenticated client of ``small_app``, reset as if new."""
    session: Session = small_app.state.session
    session.reset()
    with TestClient(small_app, headers=AUTH) as test_client:
        yield test_client
    assert_clean(session)


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """Build an app (``create_app``'s arguments) and give an unauthenticated client for it;
    after the test, each app must have broken no contract and not crashed."""
    built: list[tuple[Starlette, TestClient]] = []

    def build(settings: Settings | None = None, **options: Any) -> TestClient:
        app = create_app(settings or Settings(), **options)
        test_client = TestClient(app)
        test_client.__enter__()
        built.append((app, test_client))
        return test_client

    yield build
    for app, test_client in built:
        test_client.__exit__(None, None, None)
        assert_clean(app.state.session)


# --------------------------------------------------------------------------- over the network


@pytest.fixture(scope="session")
def live_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture(scope="session")
def live_server(live_sleep: FakeSleep) -> Iterator[MockServer]:
    """A real uvicorn server, shared by the tests that go over the network. Its delays (fault
    rules, ``Prefer: delay``) are recorded, not waited: see ``sleeps``."""
    with MockServer(sleep=live_sleep) as server:
        yield server


@pytest.fixture
def server(live_server: MockServer, live_sleep: FakeSleep) -> Iterator[MockServer]:
    """The live server reset as if new; the test must end with no violation and no crash."""
    live_server.session.reset()
    live_sleep.reset()
    yield live_server
    live_sleep.release()
    assert_clean(live_server.session)


@pytest.fixture
def sleeps(server: MockServer, live_sleep: FakeSleep) -> FakeSleep:
    """The waits the live server was asked for in this test (and ``hold()``/``release()``)."""
    return live_sleep


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A raw HTTP client of the live server with the token, for what the SDK hides."""
    with httpx.Client(base_url=server.url, headers=AUTH) as test_client:
        yield test_client


@pytest.fixture
def connect(server: MockServer) -> Iterator[Connect]:
    """Open SDK clients of the live server (or ``url``), without retries unless asked for;
    all are closed after the test."""
    with ExitStack() as stack:

        def make(
            token: str | None = TOKEN,
            *,
            url: str | None = None,
            client: httpx.Client | None = None,
            retries: RetryConfig = NO_RETRIES,
            timeout_ms: int | None = None,
        ) -> SDK:
            sdk = SDK(
                bearer_auth=token,
                server_url=url or server.url,
                client=client,
                retry_config=retries,
                timeout_ms=timeout_ms,
            )
            stack.enter_context(sdk)
            return sdk

        yield make


@pytest.fixture
def sdk(connect: Connect) -> SDK:
    return connect()


@pytest.fixture
def sdk_waits(monkeypatch: pytest.MonkeyPatch) -> SdkWaits:
    """The SDK's retry loop records its waits (``Retry-After``, backoff) instead of waiting."""
    from mka1.utils import retries

    waits = SdkWaits()
    monkeypatch.setattr(retries, "time", waits)
    monkeypatch.setattr(retries, "asyncio", SimpleNamespace(sleep=waits.async_sleep))
    return waits


# --------------------------------------------------------------------------- a proxy's upstream


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[FakeUpstream, str]]:
    app = FakeUpstream()
    with ThreadedServer(app) as server:
        yield app, server.url
        app.release()


@pytest.fixture
def fake(fake_server: tuple[FakeUpstream, str]) -> tuple[FakeUpstream, str]:
    """A fake upstream (a valid getPrompt for every request, unless planted otherwise), as new,
    and its URL."""
    fake_server[0].reset()
    return fake_server
