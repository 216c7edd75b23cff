"""CORS as a browser sees it: a page on one origin calls the mock on another with ``fetch``.

A real mka1-mock and a tiny page server run on two ports (two origins). Headless Chromium loads
the page, whose script POSTs a prompt with a bearer token and a JSON body (so the browser sends a
preflight first), asks for a 429 with ``Prefer: code=429`` and reads its ``Retry-After``, and
writes what it saw into the DOM; ``--dump-dom`` hands the DOM back. Against a mock started with
``--no-cors`` the same ``fetch`` must reject. The preflight's own rules (no token needed, not
journaled) are checked with httpx, without a browser.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mka1_mock.server import MockServer, ThreadedServer
from mka1_mock.settings import Settings

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install -y chromium)"
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
    "--dump-dom",
]
TOKEN = "browser-key"
PROMPT_ID = re.compile(r"prompt_[0-9a-f]{32}")
PROMPTS = "/api/v1/llm/prompts"

# The page's script: every result, or the error that stopped it, goes into <pre id="result">.
PAGE = """<!doctype html>
<html><head><title>mka1-mock CORS</title></head>
<body><pre id="result">pending</pre>
<script>
async function run() {
  const api = new URLSearchParams(location.search).get("api") + "/api/v1/llm/prompts";
  const auth = {"Authorization": "Bearer TOKEN", "Content-Type": "application/json"};
  const body = JSON.stringify({name: "from-the-browser", template: "Hi {{name}}"});
  const out = {origin: location.origin};
  try {
    const created = await fetch(api, {method: "POST", headers: auth, body: body});
    out.create = {status: created.status, id: (await created.json()).id};
    const limited = await fetch(api, {
      method: "POST", headers: {...auth, "Prefer": "code=429"}, body: body,
    });
    out.limited = {
      status: limited.status,
      retryAfter: limited.headers.get("Retry-After"),
      body: await limited.json(),
    };
  } catch (error) {
    out.error = error.name + ": " + error.message;
  }
  document.getElementById("result").textContent = JSON.stringify(out);
}
run();
</script></body></html>
""".replace("TOKEN", TOKEN)


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


@pytest.fixture(scope="module")
def page_server() -> Iterator[ThreadedServer]:
    """The other origin: serves the page, nothing else."""
    with ThreadedServer(Starlette(routes=[Route("/", page)])) as server:
        yield server


def run_page(page_url: str, api: str, profile: Path) -> dict[str, Any]:
    """Load the page in headless Chromium against ``api``; what its script wrote."""
    assert CHROMIUM is not None
    url = str(httpx.URL(page_url + "/", params={"api": api}))
    done = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"no result in the DOM (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    text = html.unescape(found.group(1))
    assert text != "pending", f"the script did not finish:\n{done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(text)
    return result


def journal(server: MockServer, prefix: str = "") -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}{prefix}/__mock/requests")
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def listed(header: str) -> set[str]:
    """The names in a comma-separated header, in lower case."""
    return {name.strip().lower() for name in header.split(",")}


@needs_chromium
def test_a_page_on_another_origin_calls_the_mock(
    page_server: ThreadedServer, tmp_path: Path
) -> None:
    session = "/sessions/browser-1"
    with MockServer() as mock:
        mock_url = mock.url
        result = run_page(page_server.url, mock_url + session, tmp_path)
        entries = journal(mock, session)
        for kind in ("violations", "crashes"):  # the mock broke no contract and did not crash
            assert httpx.get(f"{mock.url}{session}/__mock/{kind}").json()["data"] == []

    assert "error" not in result, result
    assert result["origin"] == page_server.url != mock_url
    assert result["create"]["status"] == 201
    assert PROMPT_ID.fullmatch(result["create"]["id"]), result
    # Retry-After is readable only because the mock exposes it.
    assert result["limited"] == {
        "status": 429,
        "retryAfter": "1",
        "body": {"error": "Rate limit exceeded"},
    }
    # The two requests reached the session's journal with the page's origin; the preflights
    # before them did not.
    assert [(e["method"], e["operation_id"], e["status"]) for e in entries] == [
        ("POST", "createPrompt", 201),
        ("POST", "createPrompt", 429),
    ]
    assert {e["headers"].get("origin") for e in entries} == {page_server.url}
    assert entries[0]["response"]["id"] == result["create"]["id"]


@needs_chromium
def test_without_cors_the_browser_refuses(page_server: ThreadedServer, tmp_path: Path) -> None:
    with MockServer(Settings(port=0, cors_origins=())) as mock:
        result = run_page(page_server.url, mock.url, tmp_path)
        created = mock.requests("createPrompt")

    assert result.get("error") == "TypeError: Failed to fetch", result
    assert "create" not in result
    assert created == []  # the preflight failed, so the POST was never sent


def test_a_preflight_needs_no_token_and_is_not_journaled() -> None:
    origin = "http://127.0.0.1:1"
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, prefer",
    }
    with MockServer() as mock:
        for prefix in ("", "/sessions/preflight"):
            response = httpx.options(f"{mock.url}{prefix}{PROMPTS}", headers=preflight)
            assert response.status_code == 200, response.text
            assert response.headers["access-control-allow-origin"] == "*"
            assert "POST" in response.headers["access-control-allow-methods"]
            allowed = listed(response.headers["access-control-allow-headers"])
            assert {"authorization", "content-type", "prefer"} <= allowed
            assert journal(mock, prefix) == []

        # A real request from that origin is journaled, and says which headers it may read.
        answer = httpx.get(
            mock.url + PROMPTS, headers={"Origin": origin, "Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        exposed = listed(answer.headers["access-control-expose-headers"])
        assert {"retry-after", "x-mock-violations"} <= exposed
        assert [(e["method"], e["operation_id"]) for e in journal(mock)] == [("GET", "listPrompts")]


def test_without_cors_a_preflight_gets_no_cors_headers() -> None:
    preflight = {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"}
    with MockServer(Settings(port=0, cors_origins=())) as mock:
        response = httpx.options(mock.url + PROMPTS, headers=preflight)
    assert not any(name.startswith("access-control-") for name in response.headers)
