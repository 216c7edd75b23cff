"""One request and its answer, read straight from the ASGI scope: what every stage works on."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from . import jsondata
from .errors import ApiError, Detail

if TYPE_CHECKING:
    from .faults import Fault
    from .spec import Operation
    from .store import Owner


RawHeaders = list[tuple[bytes, bytes]]
"""Headers as ASGI and the wire carry them: (name, value) byte pairs, in order."""


def media_type(content_type: str) -> str:
    """``Application/JSON; charset=utf-8`` -> ``application/json``; HTTP's whitespace only."""
    return content_type.split(";")[0].strip(" \t").lower()


class Answer:
    """A response: status, body bytes, the JSON data they were made from (if they were), its
    content type, and other headers."""

    __slots__ = ("body", "content_type", "data", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.status = status
        self.body = body
        self.data = data  # the self-check reads the data, not the bytes
        self.headers = dict(headers or {})
        self.content_type = content_type

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Answer:
        return cls(status, jsondata.dumps(data), data, headers)

    @classmethod
    def error(cls, error: ApiError) -> Answer:
        """The contract's error body, with the error's headers (``Allow``, ``Retry-After``)."""
        return cls.json(error.status, error.body(), error.headers)

    def raw_headers(self) -> RawHeaders:
        """The headers as sent: content type and length first."""
        content_type = (b"content-type", self.content_type.encode("latin-1"))
        headers = [content_type, (b"content-length", str(len(self.body)).encode())]
        return headers + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]

    async def send(self, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status}
        await send(start | {"headers": self.raw_headers()})
        await send({"type": "http.response.body", "body": self.body})


class Exchange:
    """A request to one operation, and what the pipeline learns of it on the way."""

    __slots__ = (
        "answer",
        "arrived",
        "body",
        "crash",
        "fault",
        "headers",
        "operation",
        "owner",
        "payload",
        "receive",
        "request_errors",
        "response_errors",
        "scope",
        "started",
    )

    def __init__(self, scope: Scope, receive: Receive, operation: Operation) -> None:
        self.arrived = time.time()  # the journal's time: when the request came
        self.started = time.perf_counter()
        self.scope = scope
        self.receive = receive
        self.operation = operation
        # The first of repeated headers wins, as in Starlette; ASGI names are lower case.
        self.headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        self.owner: Owner | None = None
        self.body: bytes | None = None
        self.payload: Any = None
        self.fault: Fault | None = None
        self.answer: Answer | None = None
        self.crash: str | None = None
        self.request_errors: Sequence[Detail] = ()
        self.response_errors: Sequence[Detail] = ()

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def path_params(self) -> dict[str, str]:
        return self.scope.get("path_params", {})  # type: ignore[no-any-return]

    @property
    def query(self) -> dict[str, list[str]]:
        """Each query parameter's values, in order."""
        values: dict[str, list[str]] = {}
        for name, value in parse_qsl(self.scope["query_string"].decode("latin-1"), True):
            values.setdefault(name, []).append(value)
        return values

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000
