"""No credential in clear anywhere the proxy writes or serves: the journal, the violations, the
live report, the report and JUnit files, the HAR and its own output, all with the same
pseudonyms. Run as a user runs it: the ``mka1-mock proxy`` command, in front of an upstream that
breaks the contract (so that violations carry excerpts of both sides)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from mka1_mock.server import ThreadedServer
from tests.helpers import (
    GREETING_ID,
    PROMPTS,
    VALID_PROMPT,
    FakeUpstream,
    proxy_process,
    stop_process,
    without,
)

TOKEN = "s3cret-token"
USER = "user-secret"
COOKIE = "cookie-secret"
UPSTREAM_COOKIE = "upstream-secret"
SECRETS = (TOKEN, USER, COOKIE, UPSTREAM_COOKIE)
SENT = {"Authorization": f"Bearer {TOKEN}", "X-On-Behalf-Of": USER, "Cookie": f"sid={COOKIE}"}


@pytest.fixture
def upstream() -> Iterator[tuple[FakeUpstream, str]]:
    """An upstream whose getPrompt lacks ``name`` and which sets a cookie."""
    app = FakeUpstream()
    headers = [("content-type", "application/json"), ("set-cookie", f"sid={UPSTREAM_COOKIE}")]
    app.plant(200, without(VALID_PROMPT, "name"), headers)
    with ThreadedServer(app) as server:
        yield app, server.url
        app.release()


def run(upstream_url: str, folder: Path, *extra: str) -> dict[str, str]:
    """Traffic with secrets through ``mka1-mock proxy``; everything it wrote and served."""
    files = {name: folder / f"out.{name}" for name in ("json", "xml", "har")}
    args = ["--upstream", upstream_url, "--report", str(files["json"]), "--junit"]
    args += [str(files["xml"]), "--har", str(files["har"]), *extra]
    texts: dict[str, str] = {}
    with proxy_process(*args) as (proc, url), httpx.Client(base_url=url) as client:
        assert client.get(f"{PROMPTS}/{GREETING_ID}", headers=SENT).status_code == 200
        client.cookies.clear()
        assert client.get(PROMPTS, params={"limit": 0}, headers=SENT).status_code == 200
        for name in ("requests", "violations", "report"):
            texts[name] = client.get(f"/__mock/{name}").text
        texts["stderr"] = stop_process(proc)
    for name, path in files.items():
        texts[name] = path.read_text("utf-8")
    return texts


def credentials(texts: dict[str, str]) -> dict[str, set[tuple[str, str]]]:
    """(Authorization, X-On-Behalf-Of) of every request each output shows."""

    def pairs(headers: list[dict[str, str]]) -> set[tuple[str, str]]:
        return {(h["authorization"], h["x-on-behalf-of"]) for h in headers}

    report, served = json.loads(texts["json"]), json.loads(texts["report"])
    junit = ElementTree.fromstring(texts["xml"]).iter("failure")
    excerpts = [
        json.loads(line.removeprefix("request: "))
        for failure in junit
        for line in (failure.text or "").splitlines()
        if line.startswith("request: {")
    ]
    har: list[dict[str, Any]] = json.loads(texts["har"])["log"]["entries"]
    return {
        "requests": pairs([e["headers"] for e in json.loads(texts["requests"])["data"]]),
        "violations": pairs(
            [v["request"]["headers"] for v in json.loads(texts["violations"])["data"]]
        ),
        "report": pairs([f["request"]["headers"] for f in served["violations"]]),
        "json": pairs([f["request"]["headers"] for f in report["violations"]]),
        "xml": pairs([excerpt["headers"] for excerpt in excerpts]),
        "har": pairs(
            [{h["name"].lower(): h["value"] for h in e["request"]["headers"]} for e in har]
        ),
    }


def test_proxy_writes_and_serves_no_credential_in_clear(
    upstream: tuple[FakeUpstream, str], tmp_path: Path
) -> None:
    app, url = upstream
    texts = run(url, tmp_path)

    leaks = {name: [s for s in SECRETS if s in text] for name, text in texts.items()}
    assert leaks == {name: [] for name in texts}
    found = credentials(texts)
    assert len(set().union(*found.values())) == 1, found  # one pseudonym each, everywhere
    [(authorization, user)] = found["har"]
    assert re.fullmatch(r"Bearer redacted-\d+", authorization)
    assert re.fullmatch(r"redacted-\d+", user) and user != authorization.split()[1]
    assert [r.header("authorization") for r in app.received] == [f"Bearer {TOKEN}"] * 2
    assert [r.header("x-on-behalf-of") for r in app.received] == [USER] * 2
    assert app.received[0].header("cookie") == f"sid={COOKIE}"
    response = json.loads(texts["violations"])["data"][0]["response"]
    assert re.fullmatch(r"sid=redacted-\d+", response["headers"]["set-cookie"])


def test_proxy_har_keep_header_keeps_that_header_in_clear(
    upstream: tuple[FakeUpstream, str], tmp_path: Path
) -> None:
    _, url = upstream
    texts = run(url, tmp_path, "--har-keep-header", "X-On-Behalf-Of")

    found = credentials(texts)
    assert len(set().union(*found.values())) == 1, found
    [(authorization, user)] = found["har"]
    assert user == USER
    assert re.fullmatch(r"Bearer redacted-\d+", authorization)
    assert {name for name, text in texts.items() if TOKEN in text or COOKIE in text} == set()
