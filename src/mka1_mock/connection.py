"""Dropping a client's connection, as a fault asks: a reset, the network error clients retry."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from starlette.types import Scope, Send

TRANSPORT = "mka1_mock.transport"
"""Scope key of the server's transport, captured as the request comes in."""


def capture(scope: Scope, send: Send) -> None:
    """Remember the connection's transport: uvicorn's ``send`` is a method of its request cycle,
    which holds it."""
    scope[TRANSPORT] = getattr(getattr(send, "__self__", None), "transport", None)


async def reset(scope: Scope) -> bool:
    """Reset the connection with no answer; False where there is none to cut (in-process)."""
    transport: Any = scope.get(TRANSPORT)
    if transport is None:
        return False
    # Linger 0: the close is a reset (ECONNRESET), which clients retry; a plain close after a
    # read request looks like a protocol error instead.
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the connection lost, so that it sends nothing
    return True
