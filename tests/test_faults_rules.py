"""Fault rules themselves: what they match, in which order, how often, by chance; how they are
added, listed and cleared (admin API, ``MockServer.fail``, fault files); and that none outlives
a reset. Against the shared real uvicorn, reset before every test."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError

from mka1_mock import Settings, StartupError, create_app
from mka1_mock.server import MockServer
from tests.helpers import (
    AUTH,
    NO_RETRIES,
    OTHER_TOKEN,
    PROMPTS,
    TOKEN,
    Connect,
    assert_error,
    fault_ids,
    statuses,
)

# --------------------------------------------------------------------------- no leaks


def test_a_rule_left_behind_by_a_test(server: MockServer, sdk: SDK) -> None:
    """Leaves an every-operation 503 rule active on the shared mock; the next test (when the same
    xdist worker runs it) proves the ``server`` fixture's reset removed it."""
    server.fail(status=503)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list()
    assert_error(caught.value, 503)


def test_the_next_test_starts_without_that_rule(server: MockServer, sdk: SDK) -> None:
    assert server.faults() == []
    assert server.requests() == []

    assert sdk.llm.prompts.list().data == []
    assert fault_ids(server.requests()) == [None]


def test_reset_in_the_middle_of_a_test_clears_rules_and_numbering(
    server: MockServer, sdk: SDK, http: httpx.Client
) -> None:
    server.fail("listPrompts", status=503)
    server.fail("createPrompt", status=500, when="after")
    assert [rule.id for rule in server.faults()] == ["fault-1", "fault-2"]

    server.session.reset()

    assert server.faults() == []
    assert sdk.llm.prompts.list().data == []
    sdk.llm.prompts.create(name="p", template="t")
    assert statuses(server.requests()) == [200, 201]
    assert server.fail("listPrompts", status=503).id == "fault-1"

    # The admin reset clears them too.
    assert http.post("/__mock/reset").status_code == 200
    assert server.faults() == []
    assert sdk.llm.prompts.list().data == []


def test_clear_faults_keeps_the_journal(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=503)
    with pytest.raises(SDKDefaultError):
        sdk.llm.prompts.list()

    server.clear_faults()

    assert sdk.llm.prompts.list().data == []
    assert statuses(server.requests()) == [503, 200]


# --------------------------------------------------------------------------- matching


def test_rules_match_on_token(server: MockServer, connect: Connect) -> None:
    server.fail("listPrompts", token=OTHER_TOKEN, status=503)
    mine, other = connect(TOKEN), connect(OTHER_TOKEN)

    assert mine.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError) as caught:
        other.llm.prompts.list()
    assert_error(caught.value, 503)

    assert statuses(server.requests()) == [200, 503]
    assert fault_ids(server.requests()) == [None, "fault-1"]


def test_rules_match_on_x_on_behalf_of(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", on_behalf_of="user-1", status=503)

    assert sdk.llm.prompts.list().data == []
    assert sdk.llm.prompts.list(x_on_behalf_of="user-2").data == []
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(x_on_behalf_of="user-1")
    assert_error(caught.value, 503)

    assert statuses(server.requests()) == [200, 200, 503]


def test_token_and_on_behalf_of_must_both_match(server: MockServer, connect: Connect) -> None:
    server.fail("listPrompts", token=TOKEN, on_behalf_of="user-1", status=503)
    mine, other = connect(TOKEN), connect(OTHER_TOKEN)

    assert other.llm.prompts.list(x_on_behalf_of="user-1").data == []
    assert mine.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError):
        mine.llm.prompts.list(x_on_behalf_of="user-1")

    assert statuses(server.requests()) == [200, 200, 503]


def test_first_matching_rule_wins_and_times_run_out(server: MockServer, sdk: SDK) -> None:
    server.fail("listPrompts", status=502, times=1)
    server.fail(status=504, times=1)  # every operation
    server.fail("createPrompt", status=500, times=1)

    for expected in (502, 504):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.list()
        assert_error(caught.value, expected)
    assert sdk.llm.prompts.list().data == []
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.create(name="p", template="t")
    assert_error(caught.value, 500)
    sdk.llm.prompts.create(name="p", template="t")

    assert fault_ids(server.requests()) == ["fault-1", "fault-2", None, "fault-3", None]
    assert [rule.fired for rule in server.faults()] == [1, 1, 1]


def _probability_pattern(seed: int) -> list[int]:
    with MockServer(Settings(port=0, seed=seed)) as fresh:
        fresh.fail("listPrompts", status=503, probability=0.5)
        with httpx.Client(base_url=fresh.url, headers=AUTH) as client:
            return [client.get(PROMPTS).status_code for _ in range(24)]


def test_probability_with_a_seed_fires_the_same_pattern_in_two_servers() -> None:
    first = _probability_pattern(seed=1234)
    second = _probability_pattern(seed=1234)

    assert first == second
    assert set(first) == {200, 503}  # a real coin, not always or never


def test_probability_pattern_repeats_after_a_reset_with_the_seed(server: MockServer) -> None:
    patterns = []
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        for _ in range(2):
            server.reset(seed=99)
            server.fail("listPrompts", status=503, probability=0.5)
            patterns.append([client.get(PROMPTS).status_code for _ in range(24)])

    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 503}


# --------------------------------------------------------------------------- admin API, files


def test_admin_api_adds_lists_with_fired_counts_and_clears(
    server: MockServer, http: httpx.Client, sdk: SDK
) -> None:
    added = http.post(
        "/__mock/faults",
        json={"operation": "listPrompts", "status": 503, "times": 2, "id": "mine", "fired": 9},
    )
    assert added.status_code == 201
    rule = added.json()
    assert rule["id"] == "fault-1"  # a sent id and fired count are ignored
    assert rule["fired"] == 0
    assert (rule["operation"], rule["status"], rule["times"]) == ("listPrompts", 503, 2)
    assert rule["when"] == "before"
    second = http.post("/__mock/faults", json={"operation": "createPrompt", "delay_ms": 10})
    assert second.status_code == 201
    assert second.json()["id"] == "fault-2"

    for _ in range(2):
        with pytest.raises(SDKDefaultError):
            sdk.llm.prompts.list()
    assert sdk.llm.prompts.list().data == []

    listed = http.get("/__mock/faults")
    assert listed.status_code == 200
    assert [(item["id"], item["fired"]) for item in listed.json()["data"]] == [
        ("fault-1", 2),
        ("fault-2", 0),
    ]
    assert [(rule.id, rule.fired) for rule in server.faults()] == [("fault-1", 2), ("fault-2", 0)]

    cleared = http.delete("/__mock/faults")
    assert cleared.status_code == 200
    assert cleared.json() == {"status": "ok"}
    assert http.get("/__mock/faults").json() == {"data": []}
    assert server.faults() == []


def test_admin_journal_shows_the_fault(server: MockServer, http: httpx.Client, sdk: SDK) -> None:
    server.fail("listPrompts", status=504, times=1)
    with pytest.raises(SDKDefaultError):
        sdk.llm.prompts.list()

    data = http.get("/__mock/requests", params={"operation": "listPrompts"}).json()["data"]

    assert [(entry["status"], entry["fault"]) for entry in data] == [(504, "fault-1")]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fault_file_is_active_at_start_and_after_every_reset(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "faults.yaml",
        "faults:\n  - {operation: listPrompts, status: 503, times: 1}\n",
    )
    with (
        MockServer(Settings(port=0, fault_files=(path,))) as fresh,
        SDK(bearer_auth=TOKEN, server_url=fresh.url, retry_config=NO_RETRIES) as sdk,
        httpx.Client(base_url=fresh.url) as admin,
    ):

        def fires_once() -> None:
            with pytest.raises(SDKDefaultError) as caught:
                sdk.llm.prompts.list()
            assert_error(caught.value, 503)
            assert sdk.llm.prompts.list().data == []
            assert fault_ids(fresh.requests()) == ["fault-1", None]

        assert [(rule.id, rule.fired) for rule in fresh.faults()] == [("fault-1", 0)]
        fires_once()
        fresh.fail("createPrompt", status=500)

        fresh.reset()
        assert [(rule.id, rule.fired) for rule in fresh.faults()] == [("fault-1", 0)]
        fires_once()

        assert admin.post("/__mock/reset").status_code == 200
        listed = admin.get("/__mock/faults").json()["data"]
        assert [(rule["id"], rule["fired"]) for rule in listed] == [("fault-1", 0)]
        fires_once()
        assert fresh.violations() == []


def test_json_fault_file_works_too(tmp_path: Path) -> None:
    rules = {"faults": [{"operation": "getPrompt", "status": 404}, {"drop": True, "times": 1}]}
    path = _write(tmp_path, "faults.json", json.dumps(rules))

    app = create_app(Settings(fault_files=(path,)))

    faults = list(app.state.session.faults)
    assert [(rule.id, rule.operation, rule.status, rule.drop) for rule in faults] == [
        ("fault-1", "getPrompt", 404, False),
        ("fault-2", None, None, True),
    ]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("undeclared.yaml", "faults: [{operation: listPrompts, status: 413}]", "faults[0].status"),
        ("schema.yaml", "faults: [{status: 503}, {drop: 'yes'}]", "faults[1].drop"),
        ("nothing.yaml", "faults: [{operation: listPrompts}]", "faults[0]"),
        ("unknown.yaml", "faults: [{operation: nope, status: 503}]", "faults[0].operation"),
        ("root.yaml", "rules: []", "faults"),
        ("broken.json", "{", "not valid JSON"),
    ],
)
def test_bad_fault_file_stops_start_up_naming_file_and_path(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = _write(tmp_path, name, text)

    with pytest.raises(StartupError) as caught:
        MockServer(Settings(port=0, fault_files=(path,)))

    message = str(caught.value)
    assert str(path) in message
    assert where in message


def test_missing_fault_file_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(StartupError, match=r"absent\.yaml"):
        create_app(Settings(fault_files=(path,)))
