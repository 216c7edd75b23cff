"""MockServer: the mock under a real uvicorn, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .errors import StartupError
from .mock import Mock
from .settings import Settings

START_TIMEOUT = 10.0


class MockServer:
    """A running mock on its own port; ``with MockServer() as server: server.url``."""

    def __init__(self, settings: Settings | None = None, **app_options: Any) -> None:
        self.settings = settings or Settings(port=0)
        self.app = create_app(self.settings, **app_options)
        self.mock: Mock = self.app.state.mock
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._socket is None:
            raise StartupError("the server is not running")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> MockServer:
        """Bind, serve in a thread, and return once uvicorn has started (or raise why not)."""
        try:
            sock = socket.create_server((self.settings.host, self.settings.port))
        except OSError as exc:
            where = f"{self.settings.host}:{self.settings.port}"
            raise StartupError(f"cannot listen on {where}: {exc.strerror}") from None
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
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
            time.sleep(0.005)
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

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
