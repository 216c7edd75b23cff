"""Odd client input gets the documented 4xx (or a success if it is valid), never a 500, a crash,
a contract violation or a change of state. A request is "METHOD target|Name: value|...||body"
({P}: the prompts path, {id}: a prompt of the test's owner, "\\udcff": the raw byte 0xff). A table
line is "<kind> <status> <param> <inputs>" (param "-": null, "*": unchecked); each input fills the
"$" of its kind's request: one case each.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import pytest
from starlette.applications import Starlette

from mka1_mock import Session, create_app
from mka1_mock.clock import MockClock
from mka1_mock.server import MockServer

P, CREATE = "/api/v1/llm/prompts", '{"name":"n","template":"t"}'
JSON, ANY = "|content-type: application/json||", object()
STATE = 'PUT /__mock/state|content-type: application/json||{"prompts":[%s]}'
SEED = '{"owner":{"token":"robust"},"name":"n","versions":[{"template":"x"}]%s}'
KINDS = {  # kind: its request; a line of "header" or "request" holds one input, others several
    "query": "GET {P}$", "header": "GET {P}|$", "prefer": "GET {P}|prefer: $", "request": "$",
    "body": f"POST {P}{JSON}$", "rollback": f'POST {P}/{{id}}/rollback{JSON}{{"version":$}}',
    "content-type": f"POST {P}|content-type: $||{CREATE}", "clock": f"PUT /__mock/clock{JSON}$",
    "state": STATE % SEED % ',"created_at":"$"', "fault": f"POST /__mock/faults{JSON}$",
    "reset": f"POST /__mock/reset{JSON}$",
}  # fmt: skip
ERRORS = {400: "invalid_request", 401: "authentication", 404: "not_found"}
ERRORS[415] = "unsupported_media_type"
raw = functools.partial(str.encode, encoding="utf-8", errors="surrogateescape")
cached_app = functools.cache(create_app)


def rows(table: str) -> list[Any]:
    cases = []
    for line in table.strip().splitlines():
        kind, status, param, rest = line.split(" ", 3)
        for given in [rest] if kind in ("header", "request") else rest.split():
            name = f"{kind} {given}"[:90].encode("ascii", "backslashreplace").decode()
            value = {"-": None, "*": ANY}.get(param, param)
            cases.append(pytest.param(KINDS[kind].replace("$", given), int(status), value, id=name))
    return cases


@dataclass
class Mock:
    app: Starlette
    session: Session
    id: str = ""  # a prompt of the test's owner, with versions 1 and 2


@pytest.fixture
def mock() -> Mock:
    m = Mock(cached_app(), cached_app().state.session)
    m.session.reset(seed=7, now=datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc))
    m.id = json.loads(send(m, f"POST {P}{JSON}{CREATE}")[1])["id"]
    assert send(m, f"POST {P}/{{id}}/versions{JSON}{CREATE}")[0] == 201
    return m


def send(m: Mock, request: str) -> tuple[int | None, bytes]:
    """The request straight into the app, header bytes as written (Authorization: the test's
    owner unless given); after a body shorter than its Content-Length, the client goes away."""
    head, _, body = raw(request.replace("{P}", P).replace("{id}", m.id)).partition(b"||")
    line, *fields = head.split(b"|")
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (f.partition(b":") for f in fields)]
    headers += [] if b"authorization" in dict(headers) else [(b"authorization", b"Bearer robust")]
    cut = (n := dict(headers).get(b"content-length", b"")).isdigit() and int(n) > len(body)
    inbox, outbox = asyncio.Queue[Any](), asyncio.Queue[Any]()
    inbox.put_nowait({"type": "http.request", "body": body, "more_body": cut})
    inbox.put_nowait({"type": "http.disconnect"})
    method, target = line.decode().split(" ", 1)
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {"type": "http", "method": method, "path": unquote(path)}
    scope |= {"raw_path": path.encode(), "query_string": query.encode(), "root_path": ""}
    scope |= {"headers": [(b"host", b"m"), *headers], "http_version": "1.1", "scheme": "http"}
    asyncio.run(m.app(scope, inbox.get, outbox.put))
    sent = [outbox.get_nowait() for _ in range(outbox.qsize())]
    return (sent[0]["status"] if sent else None), b"".join(s.get("body", b"") for s in sent[1:])


def clean(session: Session) -> Any:
    assert not list(session.crashes), "\n".join(map(str, session.crashes))
    assert not list(session.violations), "\n".join(map(str, session.violations))
    return session.store.export(), dict(vars(session.clock)), list(map(str, session.faults))


def expect(m: Mock, request: str, status: int, param: Any = ANY) -> dict[str, Any]:
    """The status; for an error, the documented body (naming ``param``) and untouched state;
    never a crash or a contract violation."""
    before = clean(m.session)
    got, body = send(m, request)
    after = clean(m.session)
    assert got == status, body[:500]
    data: dict[str, Any] = json.loads(body) if body else {}
    if 400 <= status != 429:  # a 429 has the gateway's body
        error = data["error"]
        assert set(error) == {"type", "message", "code", "param", "details"}, error
        assert (error["code"], error["type"]) == (status, ERRORS[status] + "_error"), error
        assert error["message"] and all(set(d) == {"location", "message"} for d in error["details"])
        assert (param is ANY or error["param"] == param) and after == before, error
    return data


MKA1 = """
query 400 version /{id}/versions/1e2 /{id}/versions/1.0 /{id}/versions/0x1 /{id}/versions/1%00
query 400 version /{id}/versions/9007199254740992 /{id}?version= /{id}?version /{id}?version=%ff
query 404 version /{id}/versions/0 /{id}/versions/-0 /{id}/versions/9007199254740991
query 400 version /{id}?version=99999999999999999999999 /{id}?version=1e2 /{id}?version=-0x1
query 200 * /{id}?version=1&version=2 /{id}?%ff=1&%00=2&=&& ?limit=1&limit=2
query 400 variables /{id}?variables= /{id}?variables=%ff /{id}?variables=null
query 400 variables /{id}?variables=%5B%5D /{id}?variables=%7B%22a%22%3A1e400%7D
query 400 variables /{id}?variables=%EF%BB%BF%7B%7D /{id}?variables=%7B%22x%22%3ANaN%7D
query 200 * /{id}?variables=%7B%22x%22%3A99999999999999999999999%7D
query 400 limit ?limit= ?limit=1e2 ?limit=0 ?limit=101 ?limit=%ff /{id}/versions?limit=1.0
query 400 order ?order= ?order=ASC ?order=%00
query 400 after ?after= ?after=%ff ?after=prompt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
query 404 after ?after=prompt_00000000000000000000000000000000
header 200 * authorization: Bearer caf\udce9
header 200 * authorization: Bearer a|authorization: Basic b
header 200 * authorization: Bearer a|x-on-behalf-of: \udce9\udcff
header 200 * prefer:
header 401 Authorization authorization:
header 401 Authorization authorization: Bearer\tx
prefer 200 * ,,,;; return=minimal code=200
prefer 400 Prefer code= code=abc code=1e3 code=99999999999999999999999999 code=-1 code=405
prefer 400 Prefer code=\udce9 delay=-1 delay=99999999999999999999 delay=1.5
body 400 - [] "x" 1 null true {"name":"n","template":"t"}x {}{} {"x":NaN} {"x":1e400} \ufeff{}
body 400 - {"name":"\udcff","template":"t"} {"name":"\\ud800","template":"t"} {"name":"n"/*c*/}
body 201 * {"name":"a","name":"b","template":"t"} {"name":"😀","template":"t","description":"é"}
body 201 * {"name":"n","template":"t","metadata":{"x":1e308,"y":-1e308,"z":1000000000000000000000}}
body 400 name {"name":"","template":"t"} {"name":1e308,"template":"t"}
rollback 404 version 9007199254740991 9007199254740991.0
rollback 400 version 9007199254740992 -1 1e308 1000000000000000000000000000000 2.5 true "1"
rollback 200 * 2.0 1e0 2E0
content-type 201 * application/json;charset=utf-8 application/json;charset="UTF-8" application/JSON
content-type 415 Content-Type text/plain multipart/form-data;boundary=x application/json,text/plain
query 400 version /{id}/versions/1_0 /{id}/versions/%EF%BC%91 /{id}?version=1_0
query 400 limit ?limit=%EF%BC%91
prefer 400 Prefer code=5_03
request 400 template POST {P}|content-type: application/json;||{"name":"n"}
request 400 version POST {P}/{id}/rollback|content-type: application/json; a=b=c||{"version":0}
request 400 prompts PUT /__mock/state|content-type: application/json;||{"prompts":7}
request 200 * POST /__mock/reset|content-type: application/json;||{}
request 400 * POST {P}|content-length: \udcb2|content-type: application/json||{}
"""  # From 1_0: integers read with int() (1_0, fullwidth 1); a media type parameter without "="
# (openapi-core raises); "²".isdigit() but int("²") raises (uvicorn itself refuses that one).
NESTED = '{"a":' * 127 + "1" + "}" * 127  # 128 levels, the body's with it
META = f'POST {P}{JSON}{{"name":"n","template":"t","metadata":$}}'
MADE = {
    "query 129-deep": (f"GET {P}/{{id}}?variables={'%5B' * 129}{'%5D' * 129}", 400, "variables"),
    "body 128-deep": (META.replace("$", NESTED), 201, ANY),
    "body 129-deep": (META.replace("$", '{"a":' + NESTED + "}"), 400, "metadata"),
    "body name-256-emoji": (f'POST {P}{JSON}{{"name":"{"😀" * 256}","template":"t"}}', 400, "name"),
    "no content-type": (f"POST {P}||{CREATE}", 415, "Content-Type"),
}
ID_BODY = '{"name":"m","template":"t","version":1}'  # valid everywhere: the lookup comes last
OPS = "GET,PUT,DELETE,POST /versions,GET /versions,GET /versions/1,POST /rollback".split(",")
IDS = ["%00", "%ff", "%c0%80", "%ed%a0%80", "%E2%80%AE", "%F0%9F%98%80", "prompt_" + "0" * 31 + "g"]
CASES = [
    *rows(MKA1),
    *(pytest.param(*case, id=name) for name, case in MADE.items()),
    *(
        pytest.param(f"{op} {P}/{i}{tail}{JSON}{ID_BODY}", 404, "id", id=f"id {op}{tail} {i[:20]}")
        for op, _, tail in (o.partition(" ") for o in OPS)
        for i in [*IDS, "a" * 8000]
    ),
]


@pytest.mark.parametrize(("request_", "status", "param"), CASES)
def test_mka1_api(mock: Mock, request_: str, status: int, param: Any) -> None:
    expect(mock, request_, status, param)


ADMIN = """
state 200 * 0001-01-01T00:00:00Z 9999-12-31T23:59:59Z 2026-01-01T00:00:00+23:59
state 200 * 2026-01-01T00:00:00.1234567890123456789012345678901234567890Z
state 400 prompts 0001-01-01T00:00:00+00:01 9999-12-31T23:59:59-00:01 2026-01-01T00:00:00+24:00
state 400 prompts 2026-01-01t00:00:00z 2023-02-29T00:00:00Z 0000-01-01T00:00:00Z
clock 200 * {"now":"0001-01-01T00:00:00Z","advance":3153600000} {"now":"9999-12-31T23:59:59Z"}
clock 400 now {"now":"0001-01-01T00:00:00+00:01"} {"now":"2026-12-31T23:59:60Z"} {"now":null}
clock 400 advance {"advance":3153600001} {"advance":-1} {"advance":1.5}
fault 201 * {"status":503,"times":9007199254740991} {"status":503,"probability":5e-324}
fault 400 times {"status":503,"times":1e23} {"status":503,"times":9007199254740992}
fault 400 - {} [] {"status":503,"extra":1} {"drop":false,"malformed":false}
fault 400 operation {"operation":"","status":503} {"operation":"health","status":503}
fault 400 status {"status":404} {"operation":"getPrompt","status":413} {"status":"503"}
fault 400 status {"status":200} {"status":503,"drop":true} {"drop":true,"malformed":true}
fault 400 probability {"status":503,"probability":0} {"status":503,"probability":1.0000001}
fault 400 retry_after {"status":429,"retry_after":86401} {"status":429,"retry_after":-1}
reset 200 * {"seed":9007199254740991} {"seed":-1} {"seed":2.0} {"seed":null,"x":1}
reset 400 seed {"seed":18446744073709551616} {"seed":1e308} {"seed":-9007199254740992}
reset 400 seed {"seed":2.5} {"seed":"1"} {"seed":true}
state 400 prompts 2026-12-31T23:59:60Z
clock 400 advance {"now":"9999-12-31T23:59:59Z","advance":1}
clock 400 advance {"now":"9990-01-01T00:00:00Z","advance":3153600000}
"""  # the last three: a leap second is not "outside the years"; a refused advance moves the clock


@pytest.mark.parametrize(("request_", "status", "param"), rows(ADMIN))
def test_admin_api(mock: Mock, request_: str, status: int, param: Any) -> None:
    error = expect(mock, request_, status, param).get("error", {})
    assert not (":60Z" in request_ and "outside the years" in error.get("message", "")), error


def test_imported_active_version_written_as_float(mock: Mock) -> None:
    """1.0 is an integer (README); kept as a float, it makes getPrompt crash (TypeError)."""
    prompt_id = "prompt_" + "a" * 32
    expect(mock, STATE % SEED % f',"id":"{prompt_id}","active_version":1.0', 200)
    assert repr(expect(mock, f"GET {P}/{prompt_id}", 200)["active_version"]) == "1"


def test_fault_retry_after_written_as_float(mock: Mock) -> None:
    """retry_after 2.0 is accepted, then sent as "Retry-After: 2.0": a violation and a 500."""
    expect(mock, f'POST /__mock/faults{JSON}{{"status":429,"retry_after":2.0}}', 201)
    expect(mock, f"POST {P}{JSON}{CREATE}", 429)  # its Retry-After must be an integer


def test_running_clock_at_the_end_of_time() -> None:
    """Advanced to the last second of 9999 and left running, the clock overflows a second later."""
    source = MockClock()  # the "wall clock" under the mock's clock, here under the test's control
    source.freeze(datetime(2026, 1, 1, tzinfo=timezone.utc))
    m = Mock(app := create_app(clock=source), app.state.session)
    left = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - source.now()).total_seconds()
    for step in [3153600000] * int(left // 3153600000) + [int(left % 3153600000)]:
        expect(m, f'PUT /__mock/clock{JSON}{{"advance":{step}}}', 200)
    source.advance(1)
    expect(m, "GET /__mock/clock", 200)
    expect(m, f"POST {P}{JSON}{CREATE}", 201)


def test_exported_state_imports_again(mock: Mock) -> None:
    """Metadata the API accepts (128 levels in its body) sits 3 levels deeper in an export."""
    expect(mock, MADE["body 128-deep"][0], 201)
    export = send(mock, "GET /__mock/state")[1].decode()
    expect(mock, f"PUT /__mock/state{JSON}{export}", 200)


@pytest.fixture(scope="module")
def live() -> Any:
    with MockServer() as server:
        yield server


def wire(server: MockServer, request: str) -> bytes:
    """The request over a socket ("|" in its body too is a line break), with Host, Authorization
    and Content-Length added if absent; half-close, then read the whole answer."""
    head, _, body = request.replace("{P}", P).replace("{CREATE}", CREATE).partition("||")
    body = body.replace("|", "\r\n")  # chunks
    head += "" if "Authorization" in head else "|Authorization: Bearer robust"
    head += "" if "Length" in head or "chunked" in head else f"|Content-Length: {len(raw(body))}"
    line, *fields = head.split("|")
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(raw("\r\n".join([f"{line} HTTP/1.1", "Host: mock", *fields, "", body])))
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as answer:
            try:
                return answer.read()
            except ConnectionResetError:
                return b""


WIRE = """
request 400 * GET {P}/\udcff
request 400 * GET {P}/é
request 200 * GET {P}|Authorization: Bearer \udce9\udcff|X-On-Behalf-Of: \udce9
request 400 * POST {P}|Content-Type: application/json|Content-Length: 5||{CREATE}
request 400 * POST {P}|Content-Type: application/json|Content-Length: abc||{CREATE}
request 400 * POST {P}|Content-Type: application/json|Content-Length: 2|Content-Length: 3||{}
request 201 * POST {P}|Content-Type: application/json|Transfer-Encoding: chunked||1b|{CREATE}|0||
request 200 * POST /__mock/reset|Content-Type: application/json;||{}
request 200 * POST /__mock/reset|Content-Type: \udca0application/json||{}
request 0 * POST {P}|Content-Type: application/json|Content-Length: 100||{CREATE}
request 0 * PUT /__mock/state|Content-Type: application/json|Content-Length: 100||{"prompts":[]}
"""  # NBSP is not HTTP whitespace (415 would do too); 0: a cut body, closed: nothing to act on


@pytest.mark.parametrize(("request_", "status", "param"), rows(WIRE))
def test_over_the_wire(live: MockServer, request_: str, status: int, param: Any) -> None:
    live.session.reset()
    live.load(json.loads(STATE.split("||")[1] % SEED % ""))
    before, deadline = clean(live.session), time.monotonic() + 0.5
    answer = wire(live, request_)
    while status == 0 and live.session.store.export() == before[0] and time.monotonic() < deadline:
        time.sleep(0.01)  # no answer to wait for: give the mock time to act on what came
    after = clean(live.session)
    nbsp_refused = answer[9:12] == b"415" and b"\xa0" in raw(request_)
    ok = answer[9:12] == str(status).encode() if status else answer[9:10] in (b"", b"4")
    assert (ok or nbsp_refused) and (answer[9:10] == b"2" or after == before), answer[:300]
