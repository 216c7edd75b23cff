"""The proxy's connections (transport.py, upstream.py) against raw HTTP servers of the tests:
keep-alive reuse, a connection the upstream closed meanwhile, chunked bodies, HEAD, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mka1_mock.errors import BadGateway, GatewayTimeout
from mka1_mock.upstream import Upstream

Answer = Callable[[bytes], bytes]


def plain(body: bytes = b'{"ok":true}', extra: bytes = b"") -> Answer:
    def answer(request: bytes) -> bytes:
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        return head + extra + b"content-length: %d\r\n\r\n" % len(body) + body

    return answer


async def serve(answer: Answer, close_after: bool = False) -> tuple[asyncio.Server, list[bytes]]:
    """A raw HTTP/1.1 server on a free port; it keeps the requests it read, one per entry."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(b"(connection)")
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.lower().split(b"\r\n")
                sizes = [int(line[15:]) for line in lines if line.startswith(b"content-length:")]
                requests.append(head + await reader.readexactly(sizes[0] if sizes else 0))
                writer.write(answer(head))
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, requests


def run(test: Callable[[], Awaitable[None]]) -> None:
    async def then_settle() -> None:
        await test()
        await asyncio.sleep(0.05)  # the servers' handlers see the client close, and close too

    asyncio.run(then_settle())


def url_of(server: asyncio.Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"


def test_upstream_reuses_one_connection_for_requests_in_turn() -> None:
    async def test() -> None:
        server, seen = await serve(plain())
        upstream = Upstream(url_of(server))
        for _ in range(5):
            reply = await upstream.send("GET", b"/x?a=1", [(b"accept", b"*/*")], b"")
            assert (reply.status, reply.body) == (200, b'{"ok":true}')
        await upstream.close()
        server.close()
        assert seen.count(b"(connection)") == 1
        assert len(seen) == 6
        assert seen[1].startswith(b"GET /x?a=1 HTTP/1.1\r\nhost: 127.0.0.1:")
        assert b"accept: */*" in seen[1]

    run(test)


def test_upstream_sends_again_on_a_new_connection_when_the_idle_one_was_closed() -> None:
    async def test() -> None:
        server, seen = await serve(plain(), close_after=True)  # closes after every answer
        upstream = Upstream(url_of(server))
        for _ in range(3):
            assert (await upstream.send("GET", b"/", [], b"")).status == 200
            await asyncio.sleep(0.05)  # the close arrives while the connection is idle
        await upstream.close()
        server.close()
        assert seen.count(b"(connection)") == 3

    run(test)


def test_upstream_reads_a_chunked_body_whole_and_keeps_the_base_path() -> None:
    def chunked(request: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )

    async def test() -> None:
        server, seen = await serve(chunked)
        upstream = Upstream(url_of(server) + "/base/")
        reply = await upstream.send("POST", b"/p", [(b"content-length", b"99")], b"{}")
        await upstream.close()
        server.close()
        assert reply.body == b"hello world"
        assert seen[1].startswith(b"POST /base/p HTTP/1.1\r\n")
        assert b"content-length: 2\r\n" in seen[1] and b"99" not in seen[1]

    run(test)


def test_upstream_head_goes_through_httpx() -> None:
    async def test() -> None:
        server, seen = await serve(plain(extra=b"x-head: yes\r\n"))
        upstream = Upstream(url_of(server))
        reply = await upstream.send("HEAD", b"/", [], b"")
        await upstream.close()
        server.close()
        assert reply.status == 200
        assert reply.header("x-head") == "yes"
        assert seen[1].startswith(b"HEAD / HTTP/1.1\r\n")

    run(test)


@pytest.mark.parametrize("where", ["refused", "timeout"])
def test_upstream_failures_are_502_or_504_naming_the_upstream(where: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client gives up and closes
        finally:
            writer.close()

    async def test() -> None:
        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        url = url_of(server)
        if where == "refused":
            server.close()
            await server.wait_closed()
        upstream = Upstream(url, timeout=0.3)
        expected = BadGateway if where == "refused" else GatewayTimeout
        with pytest.raises(expected) as raised:
            await upstream.send("GET", b"/", [], b"")
        await upstream.close()
        server.close()
        assert url in str(raised.value)

    run(test)
