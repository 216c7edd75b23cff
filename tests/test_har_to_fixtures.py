"""``mka1-mock har-to-fixtures``: a proxy recording turned into a fixture file that seeds a mock
with the recorded prompts, versions and deletes, for the token given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mka1 import SDK

from mka1_mock.drift.recording import read, to_fixtures
from mka1_mock.har import HarWriter
from mka1_mock.redaction import Redactor
from mka1_mock.seeding import check_fixture, read_fixture
from mka1_mock.server import MockServer
from mka1_mock.settings import Settings
from tests.helpers import (
    NO_RETRIES,
    PROMPTS,
    TOKEN,
    mka1_mock_run,
    record_round_trip,
    running_proxy,
)

SEED_TOKEN = "seed-token"
AS_U = {"Authorization": f"Bearer {SEED_TOKEN}", "X-On-Behalf-Of": "u"}
NOW = "2026-03-15T10:30:00Z"


@dataclass(frozen=True)
class Converted:
    ids: dict[str, str]
    recorded: dict[str, Any]  # the recording upstream's state at the end
    result: Any  # the finished har-to-fixtures process
    path: Path
    fixture: dict[str, Any]


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@pytest.fixture(scope="module")
def converted(upstream: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """The SDK round trip recorded with X-On-Behalf-Of kept in clear, and turned into fixtures."""
    folder = tmp_path_factory.mktemp("fixtures")
    har, out = folder / "round-trip.har", folder / "recorded.json"
    upstream.reset()
    ids = record_round_trip(upstream.url, har, Redactor(keep=("X-On-Behalf-Of",)))
    recorded = upstream.export()
    result = mka1_mock_run("har-to-fixtures", str(har), "-o", str(out), "--token", SEED_TOKEN)
    fixture = json.loads(out.read_text()) if out.exists() else {}
    return Converted(ids, recorded, result, out, fixture)


@pytest.fixture(scope="module")
def seeded(converted: Converted) -> Iterator[httpx.Client]:
    """A mock seeded with the fixture file, and a client of it."""
    with (
        MockServer(Settings(port=0, fixtures=(converted.path,))) as server,
        httpx.Client(base_url=server.url, headers=AS_U) as client,
    ):
        yield client


def test_har_to_fixtures_writes_the_file_and_says_so(converted: Converted) -> None:
    assert converted.result.returncode == 0, converted.result.stderr
    assert converted.result.stderr == f"{converted.path}: 1 prompts for token 'seed-token'\n"


def test_har_to_fixtures_file_passes_the_seed_check(converted: Converted) -> None:
    assert read_fixture(converted.path) == converted.fixture
    check_fixture(converted.fixture, str(converted.path))


def test_har_to_fixtures_holds_what_the_recorded_service_held(converted: Converted) -> None:
    """The state behind the proxy at the end, field for field, but owned by the token given."""
    [prompt] = converted.recorded["prompts"]
    assert prompt["owner"] == {"token": TOKEN, "on_behalf_of": "u"}
    expected = prompt | {"owner": {"token": SEED_TOKEN, "on_behalf_of": "u"}}
    assert converted.fixture == {"prompts": [expected]}


def test_har_to_fixtures_seeded_mock_answers_get_prompt_with_the_recorded_prompt(
    converted: Converted, seeded: httpx.Client
) -> None:
    response = seeded.get(f"{PROMPTS}/{converted.ids['kept']}")
    assert response.status_code == 200, response.text
    got = response.json()
    [recorded] = converted.recorded["prompts"]
    assert got["id"] == converted.ids["kept"]
    assert (got["name"], got["description"], got["metadata"]) == ("renamed", "d", {"k": "v"})
    assert (got["active_version"], got["latest_version"]) == (2, 3)
    assert got["active_template"] == "Hi, {{name}}."
    assert (got["created_at"], got["updated_at"]) == (
        recorded["created_at"],
        recorded["updated_at"],
    )


def test_har_to_fixtures_seeded_mock_lists_the_recorded_versions(
    converted: Converted, seeded: httpx.Client
) -> None:
    response = seeded.get(f"{PROMPTS}/{converted.ids['kept']}/versions", params={"order": "asc"})
    assert response.status_code == 200, response.text
    versions = response.json()["data"]
    [recorded] = converted.recorded["prompts"]
    assert [(v["version"], v["template"]) for v in versions] == [
        (1, "Hello, {{name}}!"),
        (2, "Hi, {{name}}."),
        (3, "Third, {{name}}."),
    ]
    assert [(v["id"], v["created_at"]) for v in versions] == [
        (v["id"], v["created_at"]) for v in recorded["versions"]
    ]


def test_har_to_fixtures_applies_the_recorded_delete(
    converted: Converted, seeded: httpx.Client
) -> None:
    assert [p["id"] for p in converted.fixture["prompts"]] == [converted.ids["kept"]]
    assert seeded.get(f"{PROMPTS}/{converted.ids['gone']}").status_code == 404
    listing = seeded.get(PROMPTS).json()
    assert [p["id"] for p in listing["data"]] == [converted.ids["kept"]]


def test_har_to_fixtures_prompts_belong_to_the_token_given_only(
    converted: Converted, seeded: httpx.Client
) -> None:
    kept = f"{PROMPTS}/{converted.ids['kept']}"
    other_token = {"Authorization": f"Bearer {TOKEN}", "X-On-Behalf-Of": "u"}
    assert seeded.get(kept, headers=other_token).status_code == 404
    assert seeded.get(kept, headers={"X-On-Behalf-Of": "someone-else"}).status_code == 404


def test_har_to_fixtures_keeps_a_redacted_owner_as_its_pseudonym(
    upstream: MockServer, tmp_path: Path
) -> None:
    """With the proxy's default redaction the owner is the X-On-Behalf-Of pseudonym."""
    upstream.reset()
    record_round_trip(upstream.url, tmp_path / "redacted.har")
    recording = read(tmp_path / "redacted.har")
    [on_behalf_of] = {v for r in recording for k, v in r.headers if k.lower() == "x-on-behalf-of"}
    assert on_behalf_of.startswith("redacted-")

    [prompt] = to_fixtures(recording, "k")["prompts"]
    assert prompt["owner"] == {"token": "k", "on_behalf_of": on_behalf_of}


def record(upstream: MockServer, har: Path, steps: Any) -> None:
    """``steps(prompts)`` through the SDK and a recording proxy, on behalf of ``u``."""
    redactor = Redactor(keep=("X-On-Behalf-Of",))
    writer = HarWriter(har, redactor)
    with (
        running_proxy(upstream.url, redactor=redactor, har=writer) as proxy,
        SDK(bearer_auth=TOKEN, server_url=proxy.url, retry_config=NO_RETRIES) as sdk,
    ):
        steps(sdk.llm.prompts)
    writer.close()


def test_har_to_fixtures_updated_at_follows_a_version_made_later(
    upstream: MockServer, tmp_path: Path
) -> None:
    """A version made a minute after the prompt moves its updated_at (README: "updated_at moves
    on every ... new version"); the fixture must not take the prompt back to its creation."""
    upstream.prepare(now=NOW)

    def steps(prompts: Any) -> None:
        created = prompts.create(name="n", template="v1", x_on_behalf_of="u")
        upstream.advance(60)
        prompts.create_version(id=created.id, template="v2", x_on_behalf_of="u")

    record(upstream, tmp_path / "later.har", steps)
    [prompt] = to_fixtures(read(tmp_path / "later.har"), TOKEN)["prompts"]
    [truth] = upstream.export()["prompts"]
    assert truth["updated_at"] == "2026-03-15T10:31:00Z"
    assert prompt.get("updated_at", prompt["versions"][-1]["created_at"]) == truth["updated_at"]


def test_har_to_fixtures_leaves_out_a_prompt_whose_versions_it_never_saw(
    upstream: MockServer, tmp_path: Path
) -> None:
    """A prompt made before the recording, rolled back to version 1 of 3, only read during it:
    its versions 2 and 3 are not in the recording, so it cannot be rebuilt as it is; a fixture
    with only version 1 would answer latest_version 1 where the recording says 3."""
    upstream.prepare(now=NOW)
    owner = {"token": TOKEN, "on_behalf_of": "u"}
    versions = [{"template": "v1"}, {"template": "v2"}, {"template": "v3"}]
    upstream.load(
        {"prompts": [{"owner": owner, "name": "old", "active_version": 1, "versions": versions}]}
    )
    [existing] = upstream.export()["prompts"]

    record(
        upstream,
        tmp_path / "read.har",
        lambda prompts: prompts.get(id=existing["id"], x_on_behalf_of="u"),
    )
    [got] = read(tmp_path / "read.har")
    assert (got.answer.body["active_version"], got.answer.body["latest_version"]) == (1, 3)

    rebuilt = to_fixtures(read(tmp_path / "read.har"), TOKEN)["prompts"]
    assert [len(p["versions"]) for p in rebuilt] in ([], [3]), rebuilt


def test_har_to_fixtures_rejects_a_file_that_is_not_a_har(tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text('{"entries": []}')
    result = mka1_mock_run(
        "har-to-fixtures", str(bad), "-o", str(tmp_path / "o.json"), "--token", "k"
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"mka1-mock: error: {bad}: not a HAR file")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "o.json").exists()


def test_har_to_fixtures_output_folder_missing_exits_2_with_one_line(
    converted: Converted, tmp_path: Path
) -> None:
    har = converted.path.parent / "round-trip.har"
    out = tmp_path / "no" / "f.json"
    result = mka1_mock_run("har-to-fixtures", str(har), "-o", str(out), "--token", "k")
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(result.stderr.splitlines()) == 1, result.stderr[-2000:]
    assert result.stderr.startswith("mka1-mock: error: ") and "f.json" in result.stderr


def test_har_to_fixtures_needs_a_token(converted: Converted, tmp_path: Path) -> None:
    har = converted.path.parent / "round-trip.har"
    result = mka1_mock_run("har-to-fixtures", str(har), "-o", str(tmp_path / "o.json"))
    assert result.returncode == 2
    assert "Missing option '--token'" in result.stderr
