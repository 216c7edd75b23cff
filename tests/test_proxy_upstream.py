"""The proxy when its upstream fails: down, slow, a name that does not resolve, a certificate it
does not trust. Each is the proxy's own 502 or 504 in the contract's error body, naming the
upstream and the cause, and recorded like any exchange; never a mock's answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mka1_mock.server import MockServer, ThreadedServer
from tests.helpers import (
    AUTH,
    PROMPTS,
    FakeUpstream,
    assert_error,
    running_proxy,
    tls_options,
)


@pytest.fixture
def dead_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def slow() -> Iterator[tuple[FakeUpstream, str]]:
    """An upstream that answers only after 5 s (or when released, after the test)."""
    app = FakeUpstream()
    app.delay = 5.0
    with ThreadedServer(app) as server:
        yield app, server.url
        app.release()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A mock served over HTTPS with a certificate of a private CA; its URL and the CA file."""
    folder = tmp_path_factory.mktemp("tls")
    ssl = tls_options(folder, "127.0.0.1", "localhost")
    app = MockServer().app
    with ThreadedServer(app, **ssl) as server:
        yield server.url.replace("http://", "https://"), folder / "ca.pem"


def get_through(proxy: ThreadedServer) -> httpx.Response:
    return httpx.get(proxy.url + PROMPTS, headers=AUTH, timeout=10)


def test_proxy_upstream_refusing_connections_is_a_502_naming_it(dead_url: str) -> None:
    with running_proxy(dead_url) as proxy:
        response = get_through(proxy)
        entries = httpx.get(proxy.url + "/__mock/requests").json()["data"]
        report = httpx.get(proxy.url + "/__mock/report").json()

    error = assert_error(response, 502, mentions=dead_url)
    assert "refused" in error["message"]
    assert [(e["operation_id"], e["status"]) for e in entries] == [("listPrompts", 502)]
    listing = next(op for op in report["coverage"] if op["operation_id"] == "listPrompts")
    assert {"status": 502, "documented": True, "seen": 1} in listing["statuses"]
    assert report["violations"] == []  # the proxy's own 502 is no contract break


@pytest.mark.parametrize("mode", ["report", "enforce"])
def test_proxy_upstream_name_that_does_not_resolve_is_a_502_naming_it(mode: str) -> None:
    url = "http://mka1-upstream.invalid"
    with running_proxy(url, mode=mode) as proxy:
        response = get_through(proxy)

    error = assert_error(response, 502, mentions=url)
    assert "mka1-upstream.invalid" in error["message"]
    assert "resolve" in error["message"]


def test_proxy_slow_upstream_is_a_504_after_the_timeout(slow: tuple[FakeUpstream, str]) -> None:
    app, url = slow
    with running_proxy(url, timeout=0.5) as proxy:
        started = time.monotonic()
        response = get_through(proxy)
        waited = time.monotonic() - started
        entries = httpx.get(proxy.url + "/__mock/requests").json()["data"]

    error = assert_error(response, 504, mentions=url)
    assert "0.5 s" in error["message"]
    assert 0.5 <= waited < 3
    assert len(app.received) == 1  # it was sent, and not answered in time
    assert [e["status"] for e in entries] == [504]


def test_proxy_upstream_within_the_timeout_is_answered(slow: tuple[FakeUpstream, str]) -> None:
    app, url = slow
    app.delay = 0.2
    with running_proxy(url, timeout=2) as proxy:
        response = httpx.get(proxy.url + PROMPTS + "/x", headers=AUTH)
    assert response.status_code == 200


def test_proxy_untrusted_upstream_certificate_is_a_502_naming_it(
    tls: tuple[str, Path],
) -> None:
    url, _ = tls
    with running_proxy(url) as proxy:
        response = get_through(proxy)

    error = assert_error(response, 502, mentions=url)
    assert "certificate" in error["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_proxy_trusts_an_upstream_certificate_of_the_ca_given(
    tls: tuple[str, Path], host: str
) -> None:
    url, ca = tls
    with running_proxy(url.replace("127.0.0.1", host), ca=ca) as proxy:
        response = get_through(proxy)
        violations = httpx.get(proxy.url + "/__mock/violations").json()["data"]

    assert response.status_code == 200, response.text
    assert response.json() == {"object": "list", "data": [], "has_more": False}
    assert violations == []


def test_proxy_certificate_for_another_name_is_a_502(tmp_path: Path) -> None:
    ssl = tls_options(tmp_path, "upstream.example")
    with ThreadedServer(FakeUpstream(), **ssl) as upstream:
        url = upstream.url.replace("http://", "https://")
        with running_proxy(url, ca=tmp_path / "ca.pem") as proxy:
            response = get_through(proxy)

    error = assert_error(response, 502, mentions=url)
    assert "certificate" in error["message"]
    assert "not valid for '127.0.0.1'" in error["message"]
