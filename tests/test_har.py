"""The proxy's HAR recording (``--har``): HAR 1.2, one entry per exchange, whole JSON after each
one, and secrets redacted into stable pseudonyms."""

from __future__ import annotations

import gzip
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mka1_mock.har import HarWriter
from mka1_mock.redaction import Redactor
from mka1_mock.server import MockServer
from tests.helpers import AUTH, PROMPTS, VALID_PROMPT, FakeUpstream, running_proxy

PSEUDONYM = re.compile(r"^redacted-\d+$")


def read_har(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def headers_of(message: dict[str, Any]) -> dict[str, str]:
    """A HAR request's or response's headers by lower-case name (each appears once here)."""
    return {header["name"].lower(): header["value"] for header in message["headers"]}


def assert_har_1_2(document: dict[str, Any]) -> None:
    """The fields HAR 1.2 requires, with their types."""
    log = document["log"]
    assert log["version"] == "1.2"
    assert isinstance(log["creator"]["name"], str) and isinstance(log["creator"]["version"], str)
    assert isinstance(log["entries"], list)
    for entry in log["entries"]:
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        started = datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
        assert started.tzinfo is not None
        request, response, timings = entry["request"], entry["response"], entry["timings"]
        for key in ("method", "url", "httpVersion"):
            assert isinstance(request[key], str), key
        for key in ("cookies", "headers", "queryString"):
            assert isinstance(request[key], list), key
        assert isinstance(request["headersSize"], int) and isinstance(request["bodySize"], int)
        if "postData" in request:
            assert isinstance(request["postData"]["mimeType"], str)
            assert "text" in request["postData"] or "params" in request["postData"]
        assert isinstance(response["status"], int) and isinstance(response["statusText"], str)
        assert isinstance(response["httpVersion"], str)
        assert isinstance(response["cookies"], list) and isinstance(response["headers"], list)
        assert isinstance(response["redirectURL"], str)
        assert isinstance(response["headersSize"], int) and isinstance(response["bodySize"], int)
        content = response["content"]
        assert isinstance(content["size"], int) and isinstance(content["mimeType"], str)
        for header in [*request["headers"], *response["headers"], *request["queryString"]]:
            assert isinstance(header["name"], str) and isinstance(header["value"], str)
        for key in ("send", "wait", "receive"):
            assert isinstance(timings[key], (int, float)) and timings[key] >= 0, key
        spent = sum(value for value in timings.values() if value != -1)
        assert entry["time"] == pytest.approx(spent, abs=0.01)


def test_har_is_har_1_2_with_one_entry_per_exchange_whole_after_each(tmp_path: Path) -> None:
    path = tmp_path / "traffic.har"
    redactor = Redactor()
    har = HarWriter(path, redactor)
    body = b'{"name": "greeting", "template": "Hi {{name}}"}'
    with MockServer() as upstream, running_proxy(upstream.url, redactor=redactor, har=har) as proxy:
        assert read_har(path)["log"]["entries"] == []
        client = httpx.Client(base_url=proxy.url, headers=AUTH)
        requests = [
            client.build_request("POST", PROMPTS, content=body, headers={"Content-Type": "x/y"}),
            client.build_request(
                "POST", PROMPTS, content=body, headers={"Content-Type": "application/json"}
            ),
            client.build_request("GET", PROMPTS, params={"limit": "2", "order": "asc"}),
            client.build_request("GET", PROMPTS, params={"limit": "0"}),
        ]
        responses = []
        for count, request in enumerate(requests, start=1):
            responses.append(client.send(request))
            document = read_har(path)  # whole JSON between exchanges
            assert len(document["log"]["entries"]) == count
            assert_har_1_2(document)
        client.close()

    entries = read_har(path)["log"]["entries"]
    assert_har_1_2(read_har(path))
    assert read_har(path)["log"]["creator"]["name"] == "mka1-mock"
    for entry, request, response in zip(entries, requests, responses, strict=True):
        assert entry["request"]["method"] == request.method
        assert entry["request"]["url"] == str(request.url)
        assert entry["response"]["status"] == response.status_code
        assert entry["response"]["content"]["text"] == response.text
        assert entry["response"]["content"]["size"] == len(response.content)
        assert entry["response"]["content"]["mimeType"] == response.headers["content-type"]
        assert entry["response"]["bodySize"] == len(response.content)
    assert entries[0]["response"]["status"] == 415
    assert entries[1]["request"]["postData"] == {
        "mimeType": "application/json",
        "text": body.decode(),
    }
    assert entries[1]["request"]["bodySize"] == len(body)
    assert entries[2]["request"]["queryString"] == [
        {"name": "limit", "value": "2"},
        {"name": "order", "value": "asc"},
    ]
    assert "postData" not in entries[2]["request"]
    assert entries[1]["response"]["statusText"] == "Created"


def test_har_stays_whole_with_concurrent_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "traffic.har"
    redactor = Redactor()
    with (
        MockServer() as upstream,
        running_proxy(upstream.url, redactor=redactor, har=HarWriter(path, redactor)) as proxy,
    ):

        def create(n: int) -> int:
            body = {"name": f"prompt-{n}", "template": "t"}
            return httpx.post(proxy.url + PROMPTS, json=body, headers=AUTH).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(create, range(40)))

    entries = read_har(path)["log"]["entries"]
    assert statuses == [201] * 40
    assert len(entries) == 40
    names = {json.loads(e["request"]["postData"]["text"])["name"] for e in entries}
    assert names == {f"prompt-{n}" for n in range(40)}
    assert {e["response"]["status"] for e in entries} == {201}


def test_har_redacts_secrets_into_stable_pseudonyms(
    fake: tuple[FakeUpstream, str], tmp_path: Path
) -> None:
    app, url = fake
    app.plant(
        200,
        VALID_PROMPT,
        [("content-type", "application/json"), ("set-cookie", "sid=upstream-sid; Path=/; Secure")],
    )
    path = tmp_path / "traffic.har"
    redactor = Redactor()
    sent = [
        {"Authorization": "Bearer token-a", "X-On-Behalf-Of": "user-secret"},
        {"Authorization": "Bearer token-b", "X-On-Behalf-Of": ""},
        {"Authorization": "Bearer token-a", "Cookie": "session=cookie-secret; theme=dark"},
        {"Authorization": "Basic token-a"},
        {"Authorization": ""},
        {},
    ]
    with running_proxy(url, redactor=redactor, har=HarWriter(path, redactor)) as proxy:
        for headers in sent:
            httpx.get(proxy.url + PROMPTS + "/p", headers=headers)
        text = path.read_text("utf-8")

    secrets = ["token-a", "token-b", "user-secret", "cookie-secret", "upstream-sid"]
    assert [secret for secret in secrets if secret in text] == []
    got = [headers_of(entry["request"]) for entry in json.loads(text)["log"]["entries"]]
    first, second, third, basic, empty, missing = got
    scheme, pseudonym = first["authorization"].split(" ")
    assert scheme == "Bearer" and PSEUDONYM.match(pseudonym)
    assert third["authorization"] == first["authorization"]  # the same token, the same name
    assert second["authorization"] != first["authorization"]
    assert PSEUDONYM.match(second["authorization"].removeprefix("Bearer "))
    assert basic["authorization"] == f"Basic {pseudonym}"  # the scheme kept
    assert empty["authorization"] == ""
    assert "authorization" not in missing
    assert PSEUDONYM.match(first["x-on-behalf-of"])
    assert first["x-on-behalf-of"] != pseudonym
    assert second["x-on-behalf-of"] == ""
    assert "x-on-behalf-of" not in third
    names = [part.split("=")[0] for part in third["cookie"].split("; ")]
    assert names == ["session", "theme"]
    assert all(PSEUDONYM.match(part.split("=")[1]) for part in third["cookie"].split("; "))
    responses = [headers_of(e["response"]) for e in json.loads(text)["log"]["entries"]]
    assert re.fullmatch(r"sid=redacted-\d+; Path=/; Secure", responses[0]["set-cookie"])
    assert len({r["set-cookie"] for r in responses}) == 1
    # the upstream got every value as it was sent
    assert [r.header("authorization") for r in app.received[:2]] == [
        "Bearer token-a",
        "Bearer token-b",
    ]
    assert app.received[0].header("x-on-behalf-of") == "user-secret"
    assert app.received[2].header("cookie") == "session=cookie-secret; theme=dark"


def test_har_keeps_a_header_in_clear_when_asked(
    fake: tuple[FakeUpstream, str], tmp_path: Path
) -> None:
    _, url = fake
    path = tmp_path / "traffic.har"
    redactor = Redactor(keep=["X-On-Behalf-Of"])
    with running_proxy(url, redactor=redactor, har=HarWriter(path, redactor)) as proxy:
        headers = {"Authorization": "Bearer token-a", "X-On-Behalf-Of": "user-1"}
        httpx.get(proxy.url + PROMPTS + "/p", headers=headers)

    [entry] = read_har(path)["log"]["entries"]
    assert headers_of(entry["request"])["x-on-behalf-of"] == "user-1"
    assert PSEUDONYM.match(headers_of(entry["request"])["authorization"].split(" ")[1])


@pytest.mark.parametrize(
    ("mode", "query"),
    [
        pytest.param("report", "", id="forwarded-with-a-violation"),
        pytest.param("enforce", "?limit=0", id="request-refused"),
        pytest.param("enforce", "", id="response-replaced"),
    ],
)
def test_har_records_the_answer_the_client_got(
    fake: tuple[FakeUpstream, str], tmp_path: Path, mode: str, query: str
) -> None:
    app, url = fake
    app.plant(200, {"object": "list", "data": "not a list", "has_more": False})
    path = tmp_path / "traffic.har"
    redactor = Redactor()
    with running_proxy(url, mode=mode, redactor=redactor, har=HarWriter(path, redactor)) as proxy:
        response = httpx.get(proxy.url + PROMPTS + query, headers=AUTH)

    [entry] = read_har(path)["log"]["entries"]
    assert_har_1_2(read_har(path))
    assert response.headers["x-mock-violations"] == "1"
    assert entry["response"]["status"] == response.status_code
    assert entry["response"]["content"]["text"] == response.text
    assert entry["response"]["content"]["mimeType"] == "application/json"
    assert headers_of(entry["response"]) == dict(response.headers)


def test_har_records_a_gzip_answer_decoded_with_its_size_on_the_wire(
    fake: tuple[FakeUpstream, str], tmp_path: Path
) -> None:
    app, url = fake
    plain = json.dumps(VALID_PROMPT).encode()
    compressed = gzip.compress(plain)
    app.plant(200, compressed, [("content-type", "application/json"), ("content-encoding", "gzip")])
    path = tmp_path / "traffic.har"
    redactor = Redactor()
    with running_proxy(url, redactor=redactor, har=HarWriter(path, redactor)) as proxy:
        httpx.get(proxy.url + PROMPTS + "/p", headers=AUTH)

    [entry] = read_har(path)["log"]["entries"]
    content = entry["response"]["content"]
    assert json.loads(content["text"]) == VALID_PROMPT
    assert content["size"] == len(plain)
    assert entry["response"]["bodySize"] == len(compressed)
    assert headers_of(entry["response"])["content-encoding"] == "gzip"
