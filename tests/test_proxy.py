"""The validating proxy in front of a faithful upstream (a second mka1-mock) and a fake one, all
on loopback: what goes through unchanged, what it adds, what it counts.

Defects planted in the upstream: test_proxy_defects.py; an unreachable upstream:
test_proxy_upstream.py; the command: test_proxy_cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from mka1 import SDK

from mka1_mock.server import MockServer
from mka1_mock.settings import Settings
from tests.helpers import (
    AUTH,
    NO_RETRIES,
    PROMPTS,
    SDK_OPERATIONS,
    TOKEN,
    FakeUpstream,
    running_proxy,
)

NOW = "2026-03-15T10:30:00Z"
Captured = tuple[str, str, int, list[tuple[str, str]], bytes]


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    """A seeded mock as the faithful upstream."""
    with MockServer(Settings(port=0, seed=1)) as server:
        yield server


def run_every_operation(url: str) -> list[Captured]:
    """All nine operations through the official SDK, as a user calls them; every response as it
    arrived (method, path, status, headers but Date, bytes)."""
    seen: list[Captured] = []

    def capture(response: httpx.Response) -> None:
        response.read()
        headers = [(k, v) for k, v in response.headers.items() if k != "date"]
        request = response.request
        seen.append(
            (request.method, request.url.path, response.status_code, headers, response.content)
        )

    client = httpx.Client(event_hooks={"response": [capture]})
    with SDK(bearer_auth=TOKEN, server_url=url, client=client, retry_config=NO_RETRIES) as sdk:
        prompts = sdk.llm.prompts
        created = prompts.create(name="greeting", template="Hello, {{name}}!", x_on_behalf_of="u")
        prompts.list(limit=5, order="asc", x_on_behalf_of="u")
        got = prompts.get(id=created.id, variables=json.dumps({"name": "Ada"}), x_on_behalf_of="u")
        assert got.rendered_template == "Hello, Ada!"
        prompts.update(id=created.id, name="renamed", metadata={"k": "v"}, x_on_behalf_of="u")
        prompts.create_version(id=created.id, template="Hi, {{name}}.", x_on_behalf_of="u")
        prompts.list_versions(id=created.id, x_on_behalf_of="u")
        version = prompts.get_version(id=created.id, version=2, x_on_behalf_of="u")
        assert version.template == "Hi, {{name}}."
        rolled = prompts.rollback(id=created.id, version=1, x_on_behalf_of="u")
        assert rolled.active_version == 1
        prompts.delete(id=created.id, x_on_behalf_of="u")
    client.close()
    return seen


def test_proxy_sdk_round_trip_is_byte_for_byte_the_upstreams(upstream: MockServer) -> None:
    upstream.prepare(seed=1, now=NOW)
    direct = run_every_operation(upstream.url)
    direct_requests = [(e.method, e.path, e.query, e.body) for e in upstream.requests()]

    upstream.prepare(seed=1, now=NOW)
    with running_proxy(upstream.url) as proxy:
        proxied = run_every_operation(proxy.url)
        violations = httpx.get(proxy.url + "/__mock/violations").json()["data"]
        report = httpx.get(proxy.url + "/__mock/report").json()

    assert len(direct) == 9
    assert proxied == direct
    proxied_requests = [(e.method, e.path, e.query, e.body) for e in upstream.requests()]
    assert proxied_requests == direct_requests
    assert all(e.headers["authorization"] == f"Bearer {TOKEN}" for e in upstream.requests())
    assert all(e.headers["x-on-behalf-of"] == "u" for e in upstream.requests())
    assert violations == []
    assert report["violations"] == []
    assert report["summary"] | {"statuses_documented": None} == {
        "exchanges": 9,
        "operations": 9,
        "operations_called": 9,
        "statuses_documented": None,
        "statuses_seen": 9,
        "violations": 0,
        "undocumented_calls": 0,
        "unchecked": 0,
        "failed": False,
    }
    seen = {
        op["operation_id"]: {s["status"]: s["seen"] for s in op["statuses"] if s["seen"]}
        for op in report["coverage"]
    }
    assert set(seen) == SDK_OPERATIONS
    success = {"createPrompt": 201, "createPromptVersion": 201}
    assert seen == {op: {success.get(op, 200): 1} for op in SDK_OPERATIONS}
    assert all(op["calls"] == 1 for op in report["coverage"])


def test_proxy_report_counts_calls_and_lists_operations_never_called(
    upstream: MockServer,
) -> None:
    upstream.prepare()
    with running_proxy(upstream.url) as proxy, httpx.Client(base_url=proxy.url) as client:
        for _ in range(3):
            assert client.get(PROMPTS, headers=AUTH).status_code == 200
        assert client.get(PROMPTS).status_code == 401  # the upstream's verdict, not the proxy's
        report = client.get("/__mock/report").json()

    by_id = {op["operation_id"]: op for op in report["coverage"]}
    listing = by_id["listPrompts"]
    assert listing["calls"] == 4
    assert {s["status"]: s["seen"] for s in listing["statuses"] if s["seen"]} == {200: 3, 401: 1}
    assert all(s["documented"] for s in listing["statuses"])
    never = [op for op in report["coverage"] if op["operation_id"] != "listPrompts"]
    assert len(never) == 8 and all(op["calls"] == 0 for op in never)
    assert all(s["seen"] == 0 and s["documented"] for op in never for s in op["statuses"])
    assert report["summary"]["operations_called"] == 1
    assert report["summary"]["statuses_seen"] == 2
    assert report["summary"]["violations"] == 0


def test_proxy_forwards_credentials_as_they_came_and_never_judges_them(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    with running_proxy(url) as proxy, httpx.Client(base_url=proxy.url) as client:
        basic = client.get(PROMPTS + "/x", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        anonymous = client.get(PROMPTS + "/x", headers={"X-On-Behalf-Of": "user 1"})
        violations = client.get("/__mock/violations").json()["data"]

    assert (basic.status_code, anonymous.status_code) == (200, 200)  # no 401 of the proxy's
    assert app.received[0].header("authorization") == "Basic Zm9vOmJhcg=="
    assert app.received[1].header("authorization") is None
    assert app.received[1].header("x-on-behalf-of") == "user 1"
    assert violations == []


def test_proxy_drops_hop_by_hop_headers_both_ways_and_keeps_the_rest(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    app.plant(
        200,
        {"object": "list", "data": [], "has_more": False},
        [
            ("content-type", "application/json"),
            ("connection", "x-upstream-hop"),
            ("x-upstream-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("x-request-id", "abc"),
            ("set-cookie", "sid=s1; Path=/; HttpOnly"),
        ],
    )
    headers = {"Connection": "keep-alive, x-client-hop", "X-Client-Hop": "1", "TE": "trailers"}
    with running_proxy(url) as proxy, httpx.Client(base_url=proxy.url) as client:
        response = client.get(PROMPTS, headers=AUTH | headers | {"X-Trace": "t1"})

    assert response.status_code == 200
    assert response.json() == {"object": "list", "data": [], "has_more": False}
    names = {name.decode().lower() for name, _ in app.received[0].headers}
    assert not names & {"x-client-hop", "te", "connection"}
    assert app.received[0].header("x-trace") == "t1"
    assert app.received[0].header("host") == url.removeprefix("http://")
    assert "x-upstream-hop" not in response.headers and "keep-alive" not in response.headers
    assert response.headers["x-request-id"] == "abc"
    assert response.headers["set-cookie"] == "sid=s1; Path=/; HttpOnly"
    assert "x-mock-violations" not in response.headers


def test_proxy_forwards_under_the_upstreams_base_path_with_the_raw_query(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    with running_proxy(url + "/base/") as proxy:
        response = httpx.get(proxy.url + PROMPTS + "/x?variables=%7B%22a%22%3A%201%7D&x=%2F")

    assert response.status_code == 200
    assert (app.received[0].path, app.received[0].query) == (
        "/base" + PROMPTS + "/x",
        b"variables=%7B%22a%22%3A%201%7D&x=%2F",
    )


UNDOCUMENTED = [
    pytest.param("GET", "/api/v1/other", id="unknown-path"),
    pytest.param("PATCH", PROMPTS, id="method-the-path-lacks"),
    pytest.param("GET", PROMPTS + "/", id="trailing-slash"),
]


@pytest.mark.parametrize(("method", "path"), UNDOCUMENTED)
def test_proxy_forwards_an_undocumented_call_and_counts_it(
    fake: tuple[FakeUpstream, str], method: str, path: str
) -> None:
    app, url = fake
    app.plant(200, {"anything": True})
    with running_proxy(url) as proxy, httpx.Client(base_url=proxy.url, headers=AUTH) as client:
        response = client.request(method, path)
        report = client.get("/__mock/report").json()

    assert response.status_code == 200 and response.json() == {"anything": True}
    assert "x-mock-violations" not in response.headers
    assert [(r.method, r.path) for r in app.received] == [(method, path)]
    assert report["undocumented"] == [{"method": method, "path": path, "calls": 1}]
    assert report["summary"]["undocumented_calls"] == 1
    assert report["summary"]["violations"] == 0 and report["violations"] == []


@pytest.mark.parametrize(("method", "path"), UNDOCUMENTED)
def test_proxy_strict_makes_an_undocumented_call_a_violation_still_forwarded(
    fake: tuple[FakeUpstream, str], method: str, path: str
) -> None:
    app, url = fake
    app.plant(200, {"anything": True})
    with (
        running_proxy(url, strict=True) as proxy,
        httpx.Client(base_url=proxy.url, headers=AUTH) as client,
    ):
        response = client.request(method, path)
        report = client.get("/__mock/report").json()

    assert response.status_code == 200 and response.json() == {"anything": True}
    assert response.headers["x-mock-violations"] == "1"
    assert len(app.received) == 1
    assert report["undocumented"] == [{"method": method, "path": path, "calls": 1}]
    [finding] = report["violations"]
    assert finding["side"] == "request"
    assert (finding["method"], finding["path"]) == (method, path)
    assert path in finding["message"]


def test_proxy_journal_and_admin_api_record_every_exchange(
    fake: tuple[FakeUpstream, str],
) -> None:
    app, url = fake
    with running_proxy(url) as proxy, httpx.Client(base_url=proxy.url, headers=AUTH) as client:
        client.get(PROMPTS + "/p1", params={"version": "1"})
        client.post(PROMPTS, json={"name": ""})
        health = client.get("/__mock/health")
        crashes = client.get("/__mock/crashes")
        entries = client.get("/__mock/requests").json()["data"]
        only = client.get("/__mock/requests", params={"operation": "createPrompt"}).json()["data"]
        assert client.delete("/__mock/requests").status_code == 200
        after_clear = client.get("/__mock/requests").json()["data"]
        assert client.post("/__mock/reset").status_code == 200
        after_reset = client.get("/__mock/report").json()

    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert crashes.status_code == 200 and crashes.json() == {"data": []}
    assert [(e["method"], e["path"], e["operation_id"], e["status"]) for e in entries] == [
        ("GET", PROMPTS + "/p1", "getPrompt", 200),
        ("POST", PROMPTS, "createPrompt", 200),
    ]
    assert entries[0]["query"] == {"version": "1"}
    assert entries[1]["body"] == {"name": ""}
    assert sorted(d["location"] for d in entries[1]["request_errors"]) == [
        "body.name",
        "body.template",
    ]
    assert [e["operation_id"] for e in only] == ["createPrompt"]
    assert after_clear == []
    assert after_reset["summary"]["exchanges"] == 0 and after_reset["violations"] == []
    assert len(app.received) == 2  # the admin API is the proxy's own: nothing forwarded


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/__mock/state", id="state"),
        pytest.param("GET", "/__mock/faults", id="faults"),
        pytest.param("POST", "/__mock/faults", id="add-fault"),
        pytest.param("GET", "/__mock/clock", id="clock"),
        pytest.param("PUT", "/__mock/clock", id="set-clock"),
    ],
)
def test_proxy_admin_api_has_no_mock_only_endpoints(
    fake: tuple[FakeUpstream, str], method: str, path: str
) -> None:
    app, url = fake
    with running_proxy(url) as proxy:
        response = httpx.request(method, proxy.url + path, json={})

    assert response.status_code in (404, 405), response.text
    assert response.json()["error"]["code"] == response.status_code
    assert app.received == []
