"""What the tests share, besides fixtures (those are in conftest.py).

One of each: a fake clock, a fake sleep for the mock and one for the SDK, the error-body check,
the prompt creator, and the handlers that break the mock on purpose. Import with
``from tests.helpers import ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from mka1 import SDK
from mka1.errors import SDKError
from mka1.utils import BackoffStrategy, RetryConfig
from starlette.testclient import TestClient

from mka1_mock import connection
from mka1_mock.app import create_proxy_app
from mka1_mock.handlers import Call
from mka1_mock.handlers.prompts import get_prompt
from mka1_mock.har import HarWriter
from mka1_mock.journal import Entry, failure_report
from mka1_mock.proxy import ProxyOptions
from mka1_mock.redaction import Redactor
from mka1_mock.server import ThreadedServer
from mka1_mock.session import Session
from mka1_mock.sessions import Sessions
from mka1_mock.settings import Settings
from mka1_mock.upstream import Upstream as ProxyUpstream

Client = httpx.Client | TestClient
"""A client of the mock: over the network, or in-process (Starlette's, on its own httpx)."""

# --------------------------------------------------------------------------- the API and its data

PROMPTS = "/api/v1/llm/prompts"
TOKEN = "test-token"
OTHER_TOKEN = "other-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_TYPE = {"Content-Type": "application/json"}
# The operationIds the official SDK uses, as decisions.md fixes them.
SDK_OPERATIONS = {
    "createPrompt",
    "listPrompts",
    "getPrompt",
    "updatePrompt",
    "deletePrompt",
    "createPromptVersion",
    "listPromptVersions",
    "getPromptVersion",
    "rollbackPrompt",
}
PROMPT_ID = re.compile(r"^prompt_[0-9a-f]{32}$")
VERSION_ID = re.compile(r"^pver_[0-9a-f]{32}$")
UNKNOWN_ID = "prompt_" + "0" * 32
PROMPT_KEYS = {
    "id",
    "object",
    "name",
    "active_version",
    "latest_version",
    "metadata",
    "created_at",
    "updated_at",
}
VERSION_KEYS = {"id", "prompt_id", "version", "object", "template", "created_at"}
MAX_SAFE = 9007199254740991
SMILE = "\U0001f600"  # one code point, two UTF-16 units, four UTF-8 bytes

# Path templates under PROMPTS, for ``send``.
CREATE, ITEM = "", "/{id}"
VERSIONS, ROLLBACK = "/{id}/versions", "/{id}/rollback"
# Every operation on a prompt ID: (method, suffix of the prompt's URL, request options).
ID_OPERATIONS = [
    pytest.param("GET", "", {}, id="getPrompt"),
    pytest.param("GET", "", {"params": {"version": 1}}, id="getPrompt-version"),
    pytest.param("PUT", "", {"json": {"name": "x"}}, id="updatePrompt"),
    pytest.param("DELETE", "", {}, id="deletePrompt"),
    pytest.param("POST", "/versions", {"json": {"template": "t"}}, id="createPromptVersion"),
    pytest.param("GET", "/versions", {}, id="listPromptVersions"),
    pytest.param("GET", "/versions/1", {}, id="getPromptVersion"),
    pytest.param("POST", "/rollback", {"json": {"version": 1}}, id="rollbackPrompt"),
]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHIPPED = FIXTURES / "prompts.json"
DEMO = {"Authorization": "Bearer demo-key"}
USER_123 = DEMO | {"X-On-Behalf-Of": "user_123"}
CLASSIFIER_ID = "prompt_aa87e2b1112a455b8deabed784372198"
GREETING_ID = "prompt_0f4c1a2b3c4d5e6f708192a3b4c5d6e7"
START = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)


def at(seconds: int) -> str:
    """The wire timestamp ``seconds`` after ``START``."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(stamp: str) -> datetime:
    """A wire timestamp (``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def without(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


# --------------------------------------------------------------------------- clock and sleeps


class FakeClock:
    """A clock for ``create_app(clock=...)`` or a ``Store``: UTC whole seconds from ``start``.

    Each reading is ``step`` seconds after the one before; with ``step=0`` (the default) it
    stands still until a test moves it with ``tick()`` or ``set()``.
    """

    def __init__(self, start: datetime = START, step: int = 0) -> None:
        self._lock = threading.Lock()
        self.start = start
        self.reset(step)

    def reset(self, step: int = 0) -> None:
        """Back to ``start``, stepping ``step`` seconds per reading from now on."""
        with self._lock:
            self.current = self.start
            self.step = timedelta(seconds=step)

    def now(self) -> datetime:
        with self._lock:
            moment = self.current
            self.current += self.step
            return moment

    def tick(self, seconds: int = 1) -> None:
        with self._lock:
            self.current += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        with self._lock:
            self.current = moment


class FakeSleep:
    """For ``create_app(sleep=...)`` or ``MockServer(sleep=...)``: the mock's own waits (delay
    rules, ``Prefer: delay``, latency) are recorded in ``waits`` (seconds) instead of waited.

    A wait returns at once; between ``hold()`` and ``release()`` it waits for the release
    instead, on the server's event loop (which goes on serving), like a long real delay would.
    """

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._open = threading.Event()
        self._open.set()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        while not self._open.is_set():
            await asyncio.sleep(0.002)

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def reset(self) -> None:
        self.release()
        self.waits.clear()


class SdkWaits:
    """The clock of the SDK's retry loop (``mka1.utils.retries``; the ``sdk_waits`` fixture puts
    it there): each wait the loop asks for, ``Retry-After`` or backoff, sync or async, is recorded
    in ``waits`` (seconds) and moves this clock's ``time()`` on by as much, without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._skipped = 0.0

    def time(self) -> float:
        return time.time() + self._skipped

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._skipped += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until ``condition()`` holds (for answers the server finishes after the client left)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


# --------------------------------------------------------------------------- the SDK

Connect = Callable[..., SDK]
"""The ``connect`` fixture: ``connect(token, *, url, client, retries, timeout_ms)`` -> an SDK."""

# The SDK would retry 429/5xx with backoff for up to 15 s; a failing test should fail at once.
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
# Retries at 10, 15, 22.5, ... ms (capped at 50), for up to 5 s; no jitter (the default jitter
# adds up to a second per retry).
FAST_RETRIES = RetryConfig("backoff", BackoffStrategy(10, 50, 1.5, 5000, jitter_ms=0), False)
FAST_RETRIES_ON_CONNECTION_ERRORS = RetryConfig(
    "backoff", BackoffStrategy(10, 50, 1.5, 5000, jitter_ms=0), True
)
# Gives up after 300 ms of failures.
SHORT_RETRIES = RetryConfig("backoff", BackoffStrategy(10, 50, 1.5, 300, jitter_ms=0), False)


def fast_backoff(retries: int) -> list[float]:
    """The waits (seconds) that FAST_RETRIES and SHORT_RETRIES make, for that many retries."""
    return [min(0.010 * 1.5**retry, 0.050) for retry in range(retries)]


def assert_whole_second_utc(moment: datetime) -> None:
    """A parsed timestamp that was sent as UTC with no fraction."""
    assert moment.utcoffset() == timedelta(0), moment
    assert moment.microsecond == 0, moment


# --------------------------------------------------------------------------- errors

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "method_not_allowed_error",
    413: "request_too_large_error",
    415: "unsupported_media_type_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
    507: "insufficient_storage_error",
}
RATE_LIMITED = {"error": "Rate limit exceeded"}
"""The gateway's 429 body: the one error that is not the contract's ``Error``."""

# Phrases of jsonschema / openapi-core messages that a person should never have to read.
JARGON = (
    "is not of type",
    "is a required property",
    "is too long",
    "is too short",
    "is less than the minimum",
    "is greater than the maximum",
    "does not match",
    "is not one of",
    "is not valid under any",
    "additional properties",
    "failed validating",
    "schema",
    "$ref",
    "instance",
)


def is_plain(message: str) -> bool:
    """Words for a person: no validator jargon, no Python exception class names."""
    lowered = message.lower()
    return (
        bool(message)
        and not any(word in lowered for word in JARGON)
        and (re.search(r"[A-Z][a-z]+[A-Z]\w*Error", message) is None)
    )


def assert_error(
    answer: Any,
    status: int,
    *,
    param: Any = ...,
    details: list[dict[str, str]] | None = None,
    locations: Iterable[str] | None = None,
    mentions: str | None = None,
) -> dict[str, Any]:
    """Check an error answer against the contract and return its ``error`` object.

    ``answer`` is an HTTP response (TestClient or httpx), an SDK error (``SDKDefaultError``,
    with ``status_code``, ``headers`` and ``body``), or just the body (a dict or its JSON text,
    e.g. a journal entry's ``response``): status and media type are checked when it has them.
    The body is ``{"error": {type, message, code, param, details: [{location, message}]}}``
    with the type of the status and ``code == status``, and every message is plain words; a 429
    is the gateway's body instead (and carries ``Retry-After``). Checked only when given:
    ``param``, the exact ``details``, the ``locations`` of the details (in any order), and a
    word the message ``mentions``.
    """
    headers: Mapping[str, str] | None = None
    if isinstance(answer, Mapping):
        body: Any = answer
    elif isinstance(answer, (str, bytes)):
        body = json.loads(answer)
    else:
        text = answer.body if isinstance(answer, SDKError) else answer.text
        assert answer.status_code == status, text
        headers = answer.headers
        body = json.loads(text)
    if headers is not None:
        assert headers["content-type"] == "application/json", headers
    if status == 429:
        assert body == RATE_LIMITED
        if headers is not None:
            assert int(headers["retry-after"]) >= 0
        return dict(body)
    assert list(body) == ["error"], body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "code", "param", "details"}, error
    assert error["type"] == ERROR_TYPES[status], error
    assert error["code"] == status, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], list), error
    for detail in error["details"]:
        assert set(detail) == {"location", "message"}, detail
        assert isinstance(detail["message"], str) and is_plain(detail["message"]), detail
    assert is_plain(error["message"]) or error["details"] == [], error["message"]
    if param is not ...:
        assert error["param"] == param, error
    if details is not None:
        assert error["details"] == details, error
    if locations is not None:
        found = sorted(detail["location"] for detail in error["details"])
        assert found == sorted(locations), error
    if mentions is not None:
        assert mentions in error["message"], error
    return error


def assert_clean(session: Session) -> None:
    """The mock broke no contract and did not crash."""
    violations, crashes = list(session.violations), list(session.crashes)
    assert not (violations or crashes), failure_report(violations, crashes)


# --------------------------------------------------------------------------- requests


def create_prompt(
    client: Client, *, headers: Mapping[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    """Create a prompt through the API (``name`` and ``template`` have defaults); its JSON.

    ``client`` is a TestClient or an httpx client; ``headers`` add to its own (e.g. ``AUTH``
    for a client without a token).
    """
    body = {"name": "greeting", "template": "Hello, {{name}}!"} | fields
    response = client.post(PROMPTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def url(prompt_id: str, suffix: str = "") -> str:
    return f"{PROMPTS}/{prompt_id}{suffix}"


def raw(content: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """Request options for a body sent as it is."""
    return {"content": content, "headers": {"Content-Type": content_type}}


def send(client: Client, method: str, path: str, prompt_id: str, **kwargs: Any) -> Any:
    """A request to ``PROMPTS + path`` with ``{id}`` filled in."""
    return client.request(method, PROMPTS + path.format(id=prompt_id), **kwargs)


def snapshot(client: Client) -> Any:
    """Everything the owner can see: the list, and each prompt with all its versions."""
    listing = client.get(PROMPTS, params={"limit": 100, "order": "asc"})
    assert listing.status_code == 200
    prompts = []
    for item in listing.json()["data"]:
        full = client.get(url(item["id"]))
        versions = client.get(url(item["id"], "/versions"), params={"limit": 100})
        prompts.append((full.json(), versions.json()))
    return listing.json(), prompts


def ids_of(client: Client, headers: Mapping[str, str] | None = None, **params: Any) -> list[str]:
    """The IDs of one listPrompts page."""
    response = client.get(PROMPTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["data"]]


def versions_of(client: Client, prompt_id: str, **params: Any) -> list[int]:
    """The version numbers of one listPromptVersions page."""
    response = client.get(url(prompt_id, "/versions"), params=params)
    assert response.status_code == 200, response.text
    return [v["version"] for v in response.json()["data"]]


# --------------------------------------------------------------------------- the admin API

ADMIN_DOCUMENT = yaml.safe_load((ROOT / "src" / "mka1_mock" / "admin.yaml").read_text("utf-8"))


def schema_errors(component: str, data: Any) -> list[str]:
    """Where ``data`` breaks ``admin.yaml``'s component, checked independently of the mock."""
    schema = {"$ref": f"#/components/schemas/{component}", **ADMIN_DOCUMENT}
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(error.absolute_path)}: {error.message}" for error in checker.iter_errors(data)]


def state_of(client: Client) -> Any:
    """``GET /__mock/state``."""
    response = client.get("/__mock/state")
    assert response.status_code == 200, response.text
    return response.json()


def journal_of(client: Client, **params: str) -> list[dict[str, Any]]:
    """``GET /__mock/requests``: the journal's entries as JSON."""
    response = client.get("/__mock/requests", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def statuses(entries: list[Entry]) -> list[int]:
    return [entry.status for entry in entries]


def fault_ids(entries: list[Entry]) -> list[str | None]:
    return [entry.fault for entry in entries]


# --------------------------------------------------------------------------- broken handlers


def drops_the_name(session: Session, call: Call) -> dict[str, Any]:
    """getPrompt, but its answer lacks the required ``name``: a contract violation."""
    data = get_prompt(session, call)
    del data["name"]
    return data


def crashes(session: Session, call: Call) -> dict[str, Any]:
    """Any operation, crashing."""
    raise RuntimeError("boom")


# --------------------------------------------------------------------------- the proxy


VALID_PROMPT: dict[str, Any] = {
    "id": GREETING_ID,
    "object": "prompt",
    "name": "greeting",
    "active_version": 1,
    "latest_version": 1,
    "metadata": {},
    "created_at": "2026-03-15T10:30:00Z",
    "updated_at": "2026-03-15T10:30:00Z",
    "active_template": "Hello, {{name}}!",
}
"""A getPrompt answer that keeps the contract; the fake upstream's default answer."""


@dataclass
class Received:
    """A request as the fake upstream received it."""

    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v.decode("latin-1") for k, v in self.headers if k.decode().lower() == name]
        return values[0] if values else None


class FakeUpstream:
    """An upstream for the proxy, as a plain ASGI app: every request gets the planted answer
    (``plant(...)``; by default a valid getPrompt) after ``delay`` seconds (or at ``release``),
    and is recorded in ``received``."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.reset()

    def reset(self) -> None:
        """As new: nothing received, no delay, the valid getPrompt planted."""
        self.received: list[Received] = []
        self.delay = 0.0
        self.released.clear()
        self.plant(200, VALID_PROMPT)

    def plant(
        self,
        status: int,
        body: Any = b"",
        headers: Iterable[tuple[str, str]] = (("content-type", "application/json"),),
    ) -> None:
        """The answer from now on; a body that is not bytes is sent as JSON."""
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        pairs = [*headers, ("content-length", str(len(content)))]
        self.status, self.body = status, content
        self.headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]

    def release(self) -> None:
        self.released.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        self.received.append(
            Received(
                scope["method"],
                scope["path"],
                scope["query_string"],
                list(scope["headers"]),
                b"".join(chunks),
            )
        )
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not self.released.is_set():
            await asyncio.sleep(0.005)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


@contextlib.contextmanager
def running_proxy(
    upstream: str,
    *,
    redactor: Redactor | None = None,
    har: HarWriter | None = None,
    timeout: float = 5.0,
    ca: Path | None = None,
    **options: Any,
) -> Iterator[ThreadedServer]:
    """The validating proxy of ``upstream`` under a real uvicorn, served as the CLI serves it;
    ``options`` are ProxyOptions' (``mode="enforce"``, ``strict=True``...)."""
    app = create_proxy_app(
        Settings(port=0),
        ProxyUpstream(upstream, timeout, ca),
        ProxyOptions(**options),
        redactor=redactor or Redactor(),
        har=har,
    )
    with ThreadedServer(app, lifespan="on", server_header=False, date_header=False) as server:
        yield server


@contextlib.contextmanager
def proxy_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``mka1-mock proxy ARGS --port 0`` as a real process, and its URL (see ``mock_process``)."""
    with mock_process("proxy", *args) as running:
        yield running


def stop_process(proc: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    """Signal the process, wait for its exit, and return the rest of its stderr."""
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=15)
    return stderr


def tls_options(folder: Path, *hosts: str) -> dict[str, Any]:
    """uvicorn's options to serve HTTPS with a certificate for ``hosts`` from a new private CA,
    whose certificate is written to ``folder / "ca.pem"``."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    cert.private_key_pem.write_to_path(folder / "key.pem")
    cert.cert_chain_pems[0].write_to_path(folder / "cert.pem")
    ca.cert_pem.write_to_path(folder / "ca.pem")
    return {"ssl_keyfile": str(folder / "key.pem"), "ssl_certfile": str(folder / "cert.pem")}


# --------------------------------------------------------------------------- drift


def mka1_mock_run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``mka1-mock ARGS`` as a real process, run to its end."""
    command = [sys.executable, "-m", "mka1_mock", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@dataclass
class Forwarded:
    """An answer on its way back through an ``AlteredTarget``: what a change may alter."""

    method: str
    path: str
    headers: dict[str, str]  # the request's, names in lower case
    status: int
    body: Any  # the parsed JSON; None when the answer is not JSON


def prompts_in(body: Any) -> Iterator[dict[str, Any]]:
    """The prompt objects of an answer: the answer itself, or the items of a list page."""
    if isinstance(body, dict):
        if body.get("object") == "prompt":
            yield body
        if isinstance(body.get("data"), list):
            for item in body["data"]:
                yield from prompts_in(item)


class AlteredTarget:
    """A target that differs from the mock on purpose: an ASGI app that forwards every request
    to ``upstream`` (a mock) and lets ``change`` alter each answer (status and JSON body).

    From request ``down_after + 1`` on, it resets every connection without forwarding: for
    ``down_for`` requests, or for good. The first request ``hold(method, path)`` picks waits
    (``held`` is set) until ``release()``, then goes on.
    """

    def __init__(
        self,
        upstream: str,
        change: Callable[[Forwarded], None] | None = None,
        *,
        down_after: int | None = None,
        down_for: int | None = None,
        hold: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.upstream, self.change = upstream, change
        self.down_after, self.down_for = down_after, down_for
        self.hold = hold
        self.held, self._released = threading.Event(), threading.Event()
        self.requests = 0

    def release(self) -> None:
        self._released.set()

    def _down(self, number: int) -> bool:
        if self.down_after is None or number <= self.down_after:
            return False
        return self.down_for is None or number <= self.down_after + self.down_for

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        connection.capture(scope, send)
        self.requests += 1
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        if self._down(self.requests):
            await connection.reset(scope)
            return
        method, path = scope["method"], scope["path"]
        if self.hold is not None and not self.held.is_set() and self.hold(method, path):
            self.held.set()
            while not self._released.is_set():
                await asyncio.sleep(0.005)
        pairs = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope["query_string"].decode("latin-1")
        async with httpx.AsyncClient(trust_env=False, verify=False) as client:
            response = await client.request(
                method,
                self.upstream + path + (f"?{query}" if query else ""),
                headers=[(k, v) for k, v in pairs if k not in ("host", "content-length")],
                content=b"".join(chunks),
            )
        is_json = response.headers.get("content-type", "").startswith("application/json")
        answer = Forwarded(
            method, path, dict(pairs), response.status_code, response.json() if is_json else None
        )
        if self.change is not None:
            self.change(answer)
        content = json.dumps(answer.body).encode() if is_json else response.content
        headers = [
            (b"content-type", response.headers.get("content-type", "text/plain").encode()),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def record_round_trip(upstream: str, har: Path, redactor: Redactor | None = None) -> dict[str, str]:
    """All nine operations through the official SDK, on behalf of ``u``, via a proxy of
    ``upstream`` that records them in ``har``: ``kept`` is created, listed, read rendered,
    renamed, given versions 2 and 3, its versions listed and read, rolled back to 2; ``gone`` is
    created and deleted. Their IDs."""
    redactor = redactor or Redactor()
    writer = HarWriter(har, redactor)
    try:
        with (
            running_proxy(upstream, redactor=redactor, har=writer) as proxy,
            SDK(bearer_auth=TOKEN, server_url=proxy.url, retry_config=NO_RETRIES) as sdk,
        ):
            prompts, me = sdk.llm.prompts, {"x_on_behalf_of": "u"}
            kept = prompts.create(
                name="greeting", template="Hello, {{name}}!", description="d", **me
            )
            gone = prompts.create(name="gone", template="Bye, {{name}}.", **me)
            prompts.list(limit=5, order="asc", **me)
            prompts.get(id=kept.id, variables=json.dumps({"name": "Ada"}), **me)
            prompts.update(id=kept.id, name="renamed", metadata={"k": "v"}, **me)
            prompts.create_version(id=kept.id, template="Hi, {{name}}.", **me)
            prompts.create_version(id=kept.id, template="Third, {{name}}.", **me)
            prompts.list_versions(id=kept.id, **me)
            prompts.get_version(id=kept.id, version=2, **me)
            prompts.rollback(id=kept.id, version=2, **me)
            prompts.delete(id=gone.id, **me)
    finally:
        writer.close()
    return {"kept": kept.id, "gone": gone.id}


# --------------------------------------------------------------------------- sessions


class FakeMonotonic:
    """For ``create_app(monotonic=...)`` or ``MockServer(monotonic=...)``: the clock of the
    sessions' idle time (``--session-ttl``), which moves only when a test moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def registry(session: Session) -> Sessions:
    """Every session of the mock that ``session`` (e.g. ``MockServer.session``) belongs to."""
    assert session.registry is not None
    return session.registry


def every_session(sessions: Sessions) -> list[Session]:
    """The default session and every named one."""
    return [sessions.default, *(session for _, session in sessions.named())]


def forget_sessions(sessions: Sessions) -> None:
    """As a new mock: the default session reset, every named one dropped."""
    sessions.default.reset()
    for name, _ in list(sessions.named()):
        sessions.drop(name)


def assert_sessions_clean(sessions: Sessions) -> None:
    """No session of the mock broke the contract or crashed."""
    for session in every_session(sessions):
        assert_clean(session)


# --------------------------------------------------------------------------- the mock as a process

MOCK_COMMAND = [sys.executable, "-m", "mka1_mock"]
LISTENING = re.compile(r"listening on http://\S+:(\d+)")


def mock_env(**variables: str) -> dict[str, str]:
    """The environment with no ``MKA1_MOCK_*`` option in it (but the cache's), plus these."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MKA1_MOCK_") or name == "MKA1_MOCK_CACHE"
    }
    return kept | variables


@contextlib.contextmanager
def mock_process(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``mka1-mock ARGS --port 0`` as a real process, and its URL on 127.0.0.1 (whatever
    ``--host`` is); killed after the test if it still runs (stop it with ``stop_process`` to
    read what it wrote). Pass ``--log-level warning`` when it answers many requests: nobody
    reads its log while it runs."""
    proc = subprocess.Popen(
        [*MOCK_COMMAND, *args, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else mock_env(),
        cwd=cwd,
    )
    assert proc.stderr is not None
    try:
        seen: list[str] = []
        match = None
        while match is None and len(seen) < 50:
            seen.append(_unbuffered_line(proc.stderr.fileno()))
            if not seen[-1]:
                break
            match = LISTENING.search(seen[-1])
        assert match, "".join(seen)
        yield proc, f"http://127.0.0.1:{match.group(1)}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _unbuffered_line(fd: int) -> str:
    """One line read straight from the file descriptor, a byte at a time: what follows stays in
    the pipe for ``communicate`` (a buffered ``readline`` could swallow it)."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    return line.decode("utf-8", "replace")
