"""The proxy's connections to its upstream: keep-alive HTTP/1.1, parsed with httptools (the
parser uvicorn uses). httpx's pool (httpcore) costs hundreds of microseconds per request once
dozens are in flight, and its URL and header models tens more, which would make the proxy many
times slower than its upstream. Failures are httpx's exceptions, as from httpx itself."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import httptools
import httpx

from .exchange import RawHeaders


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


class Connection(asyncio.Protocol):
    """One connection to the upstream, for one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.received = False
        self.keep_alive = False
        self.headers: RawHeaders = []
        self.body: list[bytes] = []
        self.reason = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self.lost = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._done(httpx.RemoteProtocolError(f"the upstream broke HTTP/1.1: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._done(httpx.RemoteProtocolError("the upstream closed the connection"))
        if not self.lost.done():
            self.lost.set_result(None)

    # httptools' callbacks
    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once done

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self._done(None)

    def _done(self, error: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            if error is None:
                self.waiter.set_result(None)
            else:
                self.waiter.set_exception(error)

    async def exchange(
        self, request: bytes, timeout: float | None
    ) -> tuple[int, str, RawHeaders, bytes]:
        """Send one request; its status, reason, headers and body (still encoded)."""
        assert self.transport is not None
        self.headers, self.body, self.reason, self.received = [], [], b"", False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            await asyncio.wait_for(self.waiter, timeout)
        except asyncio.TimeoutError:
            self.close()
            raise httpx.ReadTimeout("the upstream did not answer in time") from None
        if not self.keep_alive:
            self.close()
        reason = self.reason.decode("latin-1")
        return self.parser.get_status_code(), reason, self.headers, b"".join(self.body)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Keep-alive connections to origins: an idle one when there is one, else a new one."""

    def __init__(self, ssl_context: ssl.SSLContext, idle: int = 64) -> None:
        self.ssl_context = ssl_context
        self.idle_limit = idle
        self._idle: dict[Origin, list[Connection]] = {}

    async def send(
        self, origin: Origin, request: bytes, connect: float | None, read: float | None
    ) -> tuple[int, str, RawHeaders, bytes]:
        """One request (its head and body, serialized) on a pooled connection."""
        reused = self._take(origin)
        connection = reused or await self._connect(origin, connect)
        try:
            answer = await connection.exchange(request, read)
        except httpx.RemoteProtocolError:
            connection.close()
            if reused is None or connection.received:
                raise
            # The upstream had closed the idle connection meanwhile: once more, on a new one.
            connection = await self._connect(origin, connect)
            answer = await connection.exchange(request, read)
        self._give(origin, connection)
        return answer

    def _take(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin, [])
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection
        return None

    def _give(self, origin: Origin, connection: Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.closed or len(idle) >= self.idle_limit:
            connection.close()
        else:
            idle.append(connection)

    async def _connect(self, origin: Origin, timeout: float | None) -> Connection:
        tls = self.ssl_context if origin.scheme == "https" else None
        loop = asyncio.get_running_loop()
        hostname = origin.host if tls else None
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    Connection, origin.host, origin.port, ssl=tls, server_hostname=hostname
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {origin.host} in time") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS: the cause stays attached
            raise httpx.ConnectError(str(exc)) from exc
        return connection

    async def aclose(self) -> None:
        """Close every idle connection, and wait until they are (TLS says goodbye first)."""
        connections = [connection for idle in self._idle.values() for connection in idle]
        self._idle.clear()
        for connection in connections:
            connection.close()
        if connections:
            await asyncio.wait([connection.lost for connection in connections], timeout=2)
