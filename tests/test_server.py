"""MockServer itself: a real uvicorn on its own port, with state, journal and clock controls.

Tests of one server's life, settings or handlers start their own; the others use the shared
``server`` (reset before each test).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from mka1_mock import MockError, StartupError, __version__
from mka1_mock.errors import Detail
from mka1_mock.handlers.prompts import HANDLERS
from mka1_mock.server import MockServer
from mka1_mock.settings import Settings
from tests.helpers import (
    CLASSIFIER_ID,
    GREETING_ID,
    PROMPTS,
    SHIPPED,
    create_prompt,
    drops_the_name,
)

FROZEN = "2026-03-15T10:30:00Z"

EXTRA = {
    "prompts": [
        {
            "owner": {"token": "other-key"},
            "id": "prompt_" + "2" * 32,
            "name": "extra",
            "created_at": "2026-01-01T00:00:00Z",
            "versions": [{"template": "x"}],
        }
    ]
}
EXTRA_YAML = """\
prompts:
  - owner: {token: other-key}
    id: prompt_33333333333333333333333333333333
    name: from-yaml
    created_at: "2026-01-02T00:00:00Z"
    versions:
      - template: "y1"
      - template: "y2"
"""


def client(server: MockServer, token: str = "k", on_behalf_of: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"}
    if on_behalf_of:
        headers["X-On-Behalf-Of"] = on_behalf_of
    return httpx.Client(base_url=server.url, headers=headers)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def ids(server: MockServer, token: str = "k", on_behalf_of: str | None = None) -> list[str]:
    with client(server, token, on_behalf_of) as http:
        page = ok(http.get(PROMPTS, params={"limit": 100}))
    return [prompt["id"] for prompt in page["data"]]


def create(server: MockServer, name: str = "p", template: str = "t", **fields: Any) -> Any:
    with client(server) as http:
        return create_prompt(http, name=name, template=template, **fields)


def port_of(server: MockServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def wall_clock() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- life cycle


def test_context_manager_serves_on_a_free_port() -> None:
    with MockServer() as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert port_of(server) != 0
        health = ok(httpx.get(f"{server.url}/__mock/health"))
        created = create(server)

        assert health == {"status": "ok", "version": __version__}
        assert ids(server) == [created["id"]]

    with pytest.raises(StartupError, match="not running"):
        _ = server.url


def test_start_on_a_taken_port_raises_startup_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = MockServer(Settings(port=port))

        with pytest.raises(StartupError, match=f"cannot listen on 127.0.0.1:{port}"):
            server.start()
        with pytest.raises(StartupError, match=f"127.0.0.1:{port}"), server:
            pass

    with pytest.raises(StartupError, match="not running"):
        _ = server.url


def test_stop_frees_the_port() -> None:
    server = MockServer().start()
    port = port_of(server)
    create(server)

    server.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/__mock/health")
    with MockServer(Settings(port=port)) as again:
        assert port_of(again) == port
        assert ok(httpx.get(f"{again.url}/__mock/health"))["status"] == "ok"
        assert ids(again) == []


# --------------------------------------------------------------------------- load


def test_load_a_file_by_path_or_name(server: MockServer) -> None:
    assert server.load(SHIPPED) == 2
    assert ids(server, "demo-key") == [CLASSIFIER_ID]
    assert ids(server, "demo-key", "user_123") == [GREETING_ID]

    server.reset()
    assert server.load(str(SHIPPED)) == 2
    assert ids(server, "demo-key") == [CLASSIFIER_ID]


def test_load_a_folder_reads_its_json_and_yaml_files(server: MockServer, tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "a.json")
    (tmp_path / "b.yaml").write_text(EXTRA_YAML, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a fixture", encoding="utf-8")

    assert server.load(tmp_path) == 3

    assert ids(server, "demo-key") == [CLASSIFIER_ID]
    assert ids(server, "other-key") == ["prompt_" + "3" * 32]
    with client(server, "other-key") as http:
        prompt = ok(http.get(f"{PROMPTS}/prompt_{'3' * 32}"))
    assert prompt["active_version"] == prompt["latest_version"] == 2
    assert prompt["active_template"] == "y2"


def test_load_data_adds_to_the_state(server: MockServer) -> None:
    created = create(server)

    assert server.load(EXTRA) == 2
    assert server.load(SHIPPED) == 4

    assert ids(server) == [created["id"]]
    assert ids(server, "other-key") == ["prompt_" + "2" * 32]
    assert ids(server, "demo-key") == [CLASSIFIER_ID]


def test_load_bad_data_raises_and_changes_nothing(server: MockServer) -> None:
    server.load(EXTRA)
    before = server.export()

    with pytest.raises(StartupError, match=r"prompts\[0\]\.name: is required"):
        server.load({"prompts": [{"owner": {"token": "k"}, "versions": [{"template": "t"}]}]})
    with pytest.raises(MockError, match=r"prompts\[0\]\.id .* is already taken"):
        server.load(EXTRA)

    assert server.export() == before


# --------------------------------------------------------------------------- export


def views(server: MockServer, owners: list[dict[str, str]]) -> dict[str, Any]:
    """Every list, get and version JSON that every owner can see."""
    seen: dict[str, Any] = {}
    for owner in owners:
        key = json.dumps(owner, sort_keys=True)
        with client(server, owner["token"], owner.get("on_behalf_of")) as http:
            for order in ("asc", "desc"):
                page = ok(http.get(PROMPTS, params={"limit": 100, "order": order}))
                seen[f"{key} list {order}"] = page
            for prompt in page["data"]:
                path = f"{PROMPTS}/{prompt['id']}"
                seen[f"{key} get {prompt['id']}"] = ok(http.get(path))
                seen[f"{key} versions {prompt['id']}"] = ok(
                    http.get(f"{path}/versions", params={"order": "asc"})
                )
                for number in range(1, prompt["latest_version"] + 1):
                    seen[f"{key} version {prompt['id']} {number}"] = ok(
                        http.get(f"{path}/versions/{number}")
                    )
    return seen


def owners_of(state: dict[str, Any]) -> list[dict[str, str]]:
    owners: list[dict[str, str]] = []
    for prompt in state["prompts"]:
        if prompt["owner"] not in owners:
            owners.append(prompt["owner"])
    return owners


def busy(server: MockServer) -> None:
    """Shipped fixtures plus prompts made, versioned, rolled back and edited through the API."""
    server.load(SHIPPED)
    server.freeze(FROZEN)  # same created_at for all: creation order must survive the trip
    with client(server) as http:
        made = [
            ok(http.post(PROMPTS, json={"name": f"p{n}", "template": f"t{n}"}), 201)
            for n in range(3)
        ]
        first = f"{PROMPTS}/{made[0]['id']}"
        server.advance(60)
        ok(http.post(f"{first}/versions", json={"template": "t0 v2"}), 201)
        ok(http.post(f"{first}/versions", json={"template": "t0 v3"}), 201)
        server.advance(60)
        ok(http.post(f"{first}/rollback", json={"version": 2}))
        ok(http.put(first, json={"description": "d", "metadata": {"a": [1, {"b": None}]}}))
        ok(http.delete(f"{PROMPTS}/{made[1]['id']}"))
    with client(server, "k", "someone") as http:
        ok(http.post(PROMPTS, json={"name": "theirs", "template": "x", "description": "y"}), 201)


def test_export_then_load_gives_identical_answers(server: MockServer) -> None:
    busy(server)
    state = server.export()
    owners = owners_of(state)
    expected = views(server, owners)

    with MockServer() as fresh:
        assert fresh.load(state) == 5
        assert fresh.export() == state
        assert views(fresh, owners) == expected

    assert len(owners) == 4
    assert len(state["prompts"]) == 5


def test_export_then_put_state_gives_identical_answers(server: MockServer) -> None:
    busy(server)
    state = ok(httpx.get(f"{server.url}/__mock/state"))
    assert state == server.export()
    owners = [{"token": "demo-key"}, {"token": "demo-key", "on_behalf_of": "user_123"}]
    owners += [{"token": "k"}, {"token": "k", "on_behalf_of": "someone"}]
    expected = views(server, owners)

    with MockServer() as fresh:
        create(fresh, "replaced")  # PUT replaces: this one must go
        answer = ok(httpx.put(f"{fresh.url}/__mock/state", json=state))

        assert answer == {"status": "ok", "prompts": 5}
        assert fresh.export() == state
        assert views(fresh, owners) == expected


# --------------------------------------------------------------------------- repeatability


def script(server: MockServer) -> list[tuple[int, bytes]]:
    """A fixed sequence of calls touching every operation; each answer's status and raw body."""
    answers: list[httpx.Response] = []
    with client(server) as http:
        first = http.post(PROMPTS, json={"name": "a", "template": "Hi {{name}}", "metadata": {}})
        answers.append(first)
        prompt = f"{PROMPTS}/{first.json()['id']}"
        answers.append(http.post(PROMPTS, json={"name": "b", "template": "t", "description": "d"}))
        server.advance(30)
        answers.append(http.post(f"{prompt}/versions", json={"template": "Bye {{name}}"}))
        answers.append(http.put(prompt, json={"name": "renamed", "metadata": {"k": 1}}))
        answers.append(http.post(f"{prompt}/rollback", json={"version": 1}))
        answers.append(http.get(prompt, params={"variables": '{"name": "Ada"}'}))
        answers.append(http.get(prompt, params={"version": 2}))
        answers.append(http.get(f"{prompt}/versions"))
        answers.append(http.get(f"{prompt}/versions/2"))
        answers.append(http.get(PROMPTS, params={"order": "asc", "limit": 1}))
        answers.append(http.get(PROMPTS, params={"after": "prompt_" + "0" * 32}))
        answers.append(http.get(f"{PROMPTS}/prompt_{'0' * 32}"))
        answers.append(http.delete(prompt))
        answers.append(http.get(PROMPTS))
    return [(response.status_code, response.content) for response in answers]


def test_same_seed_and_frozen_clock_give_byte_identical_responses() -> None:
    runs = []
    for _ in range(2):
        with MockServer(Settings(port=0, seed=1234)) as server:
            server.freeze(FROZEN)
            runs.append(script(server))
            # And again on the same server, after a reset back to the seed.
            server.reset()
            server.freeze(FROZEN)
            runs.append(script(server))

    assert runs[0] == runs[1] == runs[2] == runs[3]
    statuses = [status for status, _ in runs[0]]
    assert statuses == [201, 201, 201, 200, 200, 200, 200, 200, 200, 200, 404, 404, 200, 200]


def test_another_seed_gives_other_ids() -> None:
    made = []
    for seed in (1, 2):
        with MockServer(Settings(port=0, seed=seed)) as server:
            made.append(create(server)["id"])

    assert made[0] != made[1]


# --------------------------------------------------------------------------- clock


def test_freeze_advance_release_move_the_timestamps(server: MockServer) -> None:
    server.freeze(FROZEN)
    created = create(server)
    prompt = f"{PROMPTS}/{created['id']}"
    assert created["created_at"] == created["updated_at"] == FROZEN

    server.advance(60)
    with client(server) as http:
        version = ok(http.post(f"{prompt}/versions", json={"template": "v2"}), 201)
        after_version = ok(http.get(prompt))
        server.advance(timedelta(hours=1))
        updated = ok(http.put(prompt, json={"name": "renamed"}))
        clock = ok(httpx.get(f"{server.url}/__mock/clock"))

    assert version["created_at"] == "2026-03-15T10:31:00Z"
    assert after_version["created_at"] == FROZEN
    assert after_version["updated_at"] == "2026-03-15T10:31:00Z"
    assert updated["created_at"] == FROZEN
    assert updated["updated_at"] == "2026-03-15T11:31:00Z"
    assert clock == {"now": "2026-03-15T11:31:00Z", "frozen": True}

    server.release()
    before = wall_clock()
    later = create(server)
    assert before <= parse(later["created_at"]) <= wall_clock()
    assert ok(httpx.get(f"{server.url}/__mock/clock"))["frozen"] is False


def test_freeze_accepts_a_datetime_and_defaults_to_now(server: MockServer) -> None:
    server.freeze(datetime(2026, 3, 15, 12, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2))))
    assert create(server)["created_at"] == "2026-03-15T10:00:00Z"

    server.release()
    before = wall_clock()
    server.freeze()
    after = wall_clock()
    first, second = create(server), create(server)
    assert first["created_at"] == second["created_at"]
    assert before <= parse(first["created_at"]) <= after


def test_advance_without_freezing_shifts_the_wall_clock(server: MockServer) -> None:
    server.advance(86_400)
    before = wall_clock()
    created = create(server)
    after = wall_clock()

    assert before + timedelta(days=1) <= parse(created["created_at"]) <= after + timedelta(days=1)


# --------------------------------------------------------------------------- journal


def test_requests_filters_by_operation(server: MockServer) -> None:
    first = create(server, "a")
    second = create(server, "b", description="d")
    ids(server)
    with client(server) as http:
        ok(http.get(f"{PROMPTS}/{first['id']}"))
        assert http.post(PROMPTS, json={"name": ""}).status_code == 400
    httpx.get(f"{server.url}/__mock/health")

    everything = server.requests()
    creates = server.requests("createPrompt")

    assert [entry.operation_id for entry in everything] == [
        "createPrompt",
        "createPrompt",
        "listPrompts",
        "getPrompt",
        "createPrompt",
    ]
    assert [entry.status for entry in creates] == [201, 201, 400]
    assert [entry.method for entry in creates] == ["POST"] * 3
    assert {entry.path for entry in creates} == {PROMPTS}
    assert creates[0].body == {"name": "a", "template": "t"}
    assert creates[1].body == {"name": "b", "template": "t", "description": "d"}
    assert [creates[0].response["id"], creates[1].response["id"]] == [first["id"], second["id"]]
    assert creates[2].request_errors
    assert [entry.path for entry in server.requests("getPrompt")] == [f"{PROMPTS}/{first['id']}"]
    assert server.requests("deletePrompt") == []


def test_clear_requests_empties_only_the_journal(server: MockServer) -> None:
    created = create(server)
    ids(server)
    assert len(server.requests()) == 2

    server.clear_requests()

    assert server.requests() == []
    assert ids(server) == [created["id"]]
    assert [entry.operation_id for entry in server.requests()] == ["listPrompts"]


def test_reset_keeps_only_the_settings_fixtures() -> None:
    with MockServer(Settings(port=0, seed=5, fixtures=(SHIPPED,))) as server:
        first = create(server)["id"]
        server.load(EXTRA)
        server.freeze(FROZEN)

        server.reset()

        assert ids(server, "demo-key") == [CLASSIFIER_ID]
        assert ids(server, "other-key") == []
        assert ids(server) == []
        assert [entry.operation_id for entry in server.requests()] == ["listPrompts"] * 3
        assert ok(httpx.get(f"{server.url}/__mock/clock"))["frozen"] is False
        assert create(server)["id"] == first  # the ID sequence starts again from the seed

        server.reset(seed=6)
        assert create(server)["id"] != first


# --------------------------------------------------------------------------- violations


def test_violations_name_only_what_broke() -> None:
    with MockServer(handlers=HANDLERS | {"getPrompt": drops_the_name}) as server:
        created = create(server)
        with client(server) as http:
            assert http.get(f"{PROMPTS}/{created['id']}").status_code == 500

        [violation] = server.violations()

    assert violation.operation_id == "getPrompt"
    assert violation.method == "GET"
    assert violation.path == f"{PROMPTS}/{created['id']}"
    assert violation.status == 200
    # Only the missing field: the properties the response did send are all allowed ones.
    assert list(violation.details) == [Detail("response.body.name", "is required")]
