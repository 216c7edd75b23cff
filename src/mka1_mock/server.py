"""MockServer: the mock under a real uvicorn, in a background thread, with test controls."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

from .app import create_app
from .clock import parse_timestamp
from .errors import StartupError, invalid
from .faults import Fault, fault_from
from .journal import Crash, Entry, Violation
from .seeding import admin_checker, check_fixture, read_fixtures
from .session import UNSET, Session
from .settings import Settings

START_TIMEOUT = 10.0
S = TypeVar("S", bound="ThreadedServer")

Source = Path | str | Mapping[str, Any]
"""A fixture file, a folder of them, or data in the fixture format."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket whose connections send small answers at once."""
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # asyncio sets TCP_NODELAY only on sockets made with proto=IPPROTO_TCP, which
    # create_server does not pass; without it every keep-alive answer waits ~40 ms (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class ThreadedServer:
    """Any ASGI app under a real uvicorn, in a background thread, on its own port."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, **config: Any):
        self.app = app
        self.host, self.port = host, port
        self.config: dict[str, Any] = {"log_level": "warning", "access_log": False}
        self.config |= {"lifespan": "off"} | config
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``; pass it to the SDK as ``server_url``."""
        if self._socket is None:
            raise StartupError("the server is not running")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self: S) -> S:
        """Bind, serve in a thread, and return once uvicorn has started (or raise why not)."""
        sock = listen(self.host, self.port)
        self._server = uvicorn.Server(uvicorn.Config(self.app, **self.config))
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="mka1-mock", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive():
                self._close_socket()
                raise StartupError("uvicorn stopped during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise StartupError(f"uvicorn did not start within {START_TIMEOUT:.0f} s")
            time.sleep(0.001)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        self._close_socket()
        self._server = self._thread = None

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class MockServer(ThreadedServer):
    """A running mock on its own port: ``with MockServer() as server: server.url``."""

    def __init__(self, settings: Settings | None = None, **app_options: Any) -> None:
        self.settings = settings or Settings(port=0)
        app = create_app(self.settings, **app_options)
        super().__init__(app, self.settings.host, self.settings.port)
        self.session: Session = app.state.session

    def reset(self, seed: int | None = UNSET) -> None:
        """Back to the start: the fixtures only; no journal, violations, crashes or fault rules
        but the ``--faults`` files'; the real clock; IDs from ``seed`` (default: the settings')."""
        self.session.reset(seed)

    def prepare(
        self,
        fixtures: Source | Sequence[Source] = (),
        seed: int | None = UNSET,
        now: datetime | str | None = None,
    ) -> None:
        """A test's start: reset with the clock frozen at ``now`` (if given), then ``fixtures``."""
        moment = parse_timestamp(now) if isinstance(now, str) else now
        self.session.reset(seed, moment)
        sources = [fixtures] if isinstance(fixtures, (str, Path, Mapping)) else fixtures
        for source in sources:
            self.load(source)

    def load(self, source: Source) -> int:
        """Add prompts from a fixture file, a folder of them, or data in the same format."""
        if isinstance(source, Mapping):
            check_fixture(source, "data")
            documents = [source]
        else:
            documents = list(read_fixtures([Path(source)]))
        for document in documents:
            self.session.store.load(document)
        return len(self.session.store)

    def export(self) -> dict[str, Any]:
        """The whole state, in the fixture format."""
        return self.session.store.export()

    def requests(self, operation: str | None = None) -> list[Entry]:
        """The journal, oldest first; only one operationId's requests if given."""
        return self.session.requests(operation)

    def clear_requests(self) -> None:
        self.session.journal.clear()

    def violations(self) -> list[Violation]:
        """Responses the mock caught breaking the contract (each was sent as a 500)."""
        return list(self.session.violations)

    def crashes(self) -> list[Crash]:
        """Exceptions inside the mock while it answered (each was sent as a 500)."""
        return list(self.session.crashes)

    def fail(self, operation: str | None = None, **effects: Any) -> Fault:
        """Add a fault rule, e.g. ``fail("createPrompt", status=503, times=2)``.

        Options: ``status``, ``retry_after``, ``delay_ms``, ``delay_max_ms``, ``drop``,
        ``malformed``, ``times``, ``probability``, ``when`` ("before"/"after"), ``token``,
        ``on_behalf_of``; as in the admin API's ``POST /__mock/faults``.
        """
        data = {"operation": operation, **effects}
        if details := admin_checker().component("Fault", data, prefix=""):
            raise invalid(details)
        return self.session.faults.add(fault_from(data, self.session.spec.operations))

    def faults(self) -> list[Fault]:
        """The rules, in the order they are tried, with how often each fired."""
        return list(self.session.faults)

    def clear_faults(self) -> None:
        self.session.faults.clear()

    def freeze(self, at: datetime | str | None = None) -> None:
        """Stop the mock's clock at ``at`` (default: now)."""
        self.session.clock.freeze(parse_timestamp(at) if isinstance(at, str) else at)

    def advance(self, by: float | timedelta) -> None:
        """Move the mock's clock forward."""
        seconds = by.total_seconds() if isinstance(by, timedelta) else by
        self.session.clock.advance(seconds)

    def release(self) -> None:
        """Back to the wall clock."""
        self.session.clock.release()
