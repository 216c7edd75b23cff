"""The official MKA1 SDK (``meetkai-mka1``) against a real uvicorn mock: all 9 Prompts operations.

Every test talks HTTP through ``from mka1 import SDK`` exactly as a user would, and ends by
checking that the mock sent no contract-breaking response (``server.session.violations``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError
from mka1.utils import BackoffStrategy, RetryConfig

from mka1_mock.server import MockServer
from mka1_mock.settings import Settings

TOKEN = "sdk-token-a"
OTHER_TOKEN = "sdk-token-b"
PROMPT_ID = re.compile(r"^prompt_[0-9a-f]{32}$")
VERSION_ID = re.compile(r"^pver_[0-9a-f]{32}$")
WIRE_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UNKNOWN_ID = "prompt_" + "0" * 32
GREETING = "Hello, {{name}}! Welcome to {{company}}."

# The SDK would retry 429/5xx with backoff for up to 15 s; a failing test should fail at once.
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
}

Connect = Callable[..., SDK]


# --------------------------------------------------------------------------- helpers


def assert_whole_second_utc(moment: datetime) -> None:
    """A parsed timestamp that was sent as UTC with no fraction."""
    assert moment.utcoffset() == timedelta(0), moment
    assert moment.microsecond == 0, moment


def api_error(exc: SDKDefaultError, status: int) -> dict[str, Any]:
    """The ``error`` object of an SDK error, after checking the contract's error shape."""
    assert exc.status_code == status, exc.body
    assert exc.headers["content-type"].split(";")[0] == "application/json"
    body = json.loads(exc.body)
    assert list(body) == ["error"], body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "code", "param", "details"}, error
    assert error["type"] == ERROR_TYPES[status]
    assert error["code"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"location", "message"}, detail
        assert isinstance(detail["message"], str) and detail["message"]
    return error


def locations(error: dict[str, Any]) -> list[str]:
    return [detail["location"] for detail in error["details"]]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _contract_kept(server: MockServer) -> Iterator[None]:
    """Every test ends with the mock having sent nothing that breaks ``openapi.yaml``."""
    yield
    assert [v.as_dict() for v in server.session.violations] == []


@pytest.fixture
def connect(server: MockServer) -> Iterator[Connect]:
    """Open SDK clients (any token, any server); all are closed after the test."""
    opened: list[SDK] = []

    def make(
        token: str | None = TOKEN, *, url: str | None = None, client: httpx.Client | None = None
    ) -> SDK:
        sdk = SDK(
            bearer_auth=token,
            server_url=url or server.url,
            client=client,
            retry_config=NO_RETRIES,
        )
        opened.append(sdk)
        return sdk

    yield make
    for sdk in opened:
        sdk.__exit__(None, None, None)


@pytest.fixture
def sdk(connect: Connect) -> SDK:
    return connect()


@pytest.fixture
def wire(connect: Connect) -> Iterator[tuple[SDK, list[httpx.Response]]]:
    """An SDK whose HTTP client keeps every raw response (body read) for inspection."""
    responses: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        responses.append(response)

    with httpx.Client(event_hooks={"response": [keep]}) as client:
        yield connect(client=client), responses


@pytest.fixture
def versioned(sdk: SDK) -> str:
    """A prompt with versions 1..3 (templates ``v1``..``v3``), version 3 active."""
    prompt = sdk.llm.prompts.create(name="versioned", template="v1")
    sdk.llm.prompts.create_version(id=prompt.id, template="v2")
    sdk.llm.prompts.create_version(id=prompt.id, template="v3")
    return prompt.id


# --------------------------------------------------------------------------- createPrompt


def test_create_returns_prompt_with_first_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    assert PROMPT_ID.match(created.id)
    assert created.object == "prompt"
    assert created.name == "greeting"
    assert created.active_version == 1
    assert created.latest_version == 1
    assert created.created_at == created.updated_at
    assert_whole_second_utc(created.created_at)
    version = created.version
    assert VERSION_ID.match(version.id)
    assert version.object == "prompt.version"
    assert version.prompt_id == created.id
    assert version.version == 1
    assert version.template == GREETING
    assert version.created_at == created.created_at


def test_create_defaults_metadata_and_omits_description(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="bare", template="t")

    assert created.metadata == {}
    assert created.description is None
    assert "description" not in created.model_fields_set


def test_create_keeps_description_and_metadata(sdk: SDK) -> None:
    metadata = {"team": "onboarding", "reviewed": True, "tier": 2, "tags": ["a", "b"]}
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, description="A simple greeting", metadata=metadata
    )

    assert created.description == "A simple greeting"
    assert created.metadata == metadata
    fetched = sdk.llm.prompts.get(id=created.id)
    assert fetched.description == "A simple greeting"
    assert fetched.metadata == metadata


def test_create_answers_201_with_whole_second_utc_timestamps(
    wire: tuple[SDK, list[httpx.Response]],
) -> None:
    sdk, responses = wire
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    (response,) = responses
    assert response.status_code == 201
    assert response.headers["content-type"].split(";")[0] == "application/json"
    raw = response.json()
    assert raw["id"] == created.id
    assert "description" not in raw
    assert raw["metadata"] == {}
    for stamp in (raw["created_at"], raw["updated_at"], raw["version"]["created_at"]):
        assert WIRE_TIMESTAMP.match(stamp), stamp
    assert raw["created_at"] == raw["updated_at"] == raw["version"]["created_at"]


def test_create_ids_are_unique(sdk: SDK) -> None:
    created = [sdk.llm.prompts.create(name=f"p{i}", template="t") for i in range(5)]

    assert len({prompt.id for prompt in created}) == 5
    assert len({prompt.version.id for prompt in created}) == 5


# --------------------------------------------------------------------------- listPrompts


def test_list_pages_with_after_cursor(sdk: SDK) -> None:
    first, second, third = (sdk.llm.prompts.create(name=f"p{i}", template="t").id for i in range(3))

    page = sdk.llm.prompts.list(limit=2)
    assert page.object == "list"
    assert [prompt.id for prompt in page.data] == [third, second]
    assert page.has_more is True
    assert page.first_id == third
    assert page.last_id == second

    rest = sdk.llm.prompts.list(limit=2, after=page.last_id)
    assert [prompt.id for prompt in rest.data] == [first]
    assert rest.has_more is False
    assert rest.first_id == first
    assert rest.last_id == first


def test_list_pages_ascending_with_after_cursor(sdk: SDK) -> None:
    first, second, third = (sdk.llm.prompts.create(name=f"p{i}", template="t").id for i in range(3))

    page = sdk.llm.prompts.list(limit=2, order="asc")
    assert [prompt.id for prompt in page.data] == [first, second]
    assert page.has_more is True

    rest = sdk.llm.prompts.list(limit=2, order="asc", after=page.last_id)
    assert [prompt.id for prompt in rest.data] == [third]
    assert rest.has_more is False


def test_list_orders_by_creation_asc_and_desc(sdk: SDK) -> None:
    ids = [sdk.llm.prompts.create(name=f"p{i}", template="t").id for i in range(3)]

    ascending = sdk.llm.prompts.list(order="asc")
    descending = sdk.llm.prompts.list(order="desc")
    default = sdk.llm.prompts.list()

    assert [prompt.id for prompt in ascending.data] == ids
    assert [prompt.id for prompt in descending.data] == ids[::-1]
    assert [prompt.id for prompt in default.data] == ids[::-1]
    assert (ascending.first_id, ascending.last_id) == (ids[0], ids[-1])
    assert (descending.first_id, descending.last_id) == (ids[-1], ids[0])


def test_list_has_more_false_when_page_is_exactly_full(sdk: SDK) -> None:
    for i in range(3):
        sdk.llm.prompts.create(name=f"p{i}", template="t")

    page = sdk.llm.prompts.list(limit=3)

    assert len(page.data) == 3
    assert page.has_more is False


def test_list_empty_omits_first_and_last_id(sdk: SDK) -> None:
    page = sdk.llm.prompts.list()

    assert page.data == []
    assert page.has_more is False
    assert page.first_id is None and page.last_id is None
    assert {"first_id", "last_id"}.isdisjoint(page.model_fields_set)


def test_list_items_are_plain_prompts(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, description="d", metadata={"team": "x"}
    )

    (item,) = sdk.llm.prompts.list().data

    assert item.id == created.id
    assert item.object == "prompt"
    assert item.name == "greeting"
    assert item.description == "d"
    assert item.metadata == {"team": "x"}
    assert (item.active_version, item.latest_version) == (1, 1)
    assert item.created_at == created.created_at


# --------------------------------------------------------------------------- getPrompt


def test_get_returns_active_template_without_rendering(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    fetched = sdk.llm.prompts.get(id=created.id)

    assert fetched.id == created.id
    assert fetched.object == "prompt"
    assert fetched.name == "greeting"
    assert fetched.active_template == GREETING
    assert (fetched.active_version, fetched.latest_version) == (1, 1)
    assert fetched.metadata == {}
    assert "description" not in fetched.model_fields_set
    assert "rendered_template" not in fetched.model_fields_set
    assert fetched.created_at == created.created_at


def test_get_with_version_returns_that_template_and_keeps_active_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}} (v1)")
    sdk.llm.prompts.create_version(id=created.id, template="Hello {{name}} (v2)")

    older = sdk.llm.prompts.get(id=created.id, version=1)
    current = sdk.llm.prompts.get(id=created.id)

    assert older.active_template == "Hi {{name}} (v1)"
    assert older.active_version == 2
    assert older.latest_version == 2
    assert current.active_template == "Hello {{name}} (v2)"


def test_get_with_version_and_variables_renders_that_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}} (v1)")
    sdk.llm.prompts.create_version(id=created.id, template="Hello {{name}} (v2)")

    fetched = sdk.llm.prompts.get(id=created.id, version=1, variables='{"name":"Bo"}')

    assert fetched.active_template == "Hi {{name}} (v1)"
    assert fetched.rendered_template == "Hi Bo (v1)"


def test_get_with_variables_renders_docs_greeting(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    fetched = sdk.llm.prompts.get(
        id=created.id, variables=json.dumps({"name": "Alice", "company": "Acme"})
    )

    assert fetched.rendered_template == "Hello, Alice! Welcome to Acme."
    assert fetched.active_template == GREETING


def test_get_with_variables_leaves_unmatched_placeholders(sdk: SDK) -> None:
    template = "Hello, {{name}}! Welcome to {{company}}. {{ name }} {{}}"
    created = sdk.llm.prompts.create(name="greeting", template=template)

    fetched = sdk.llm.prompts.get(id=created.id, variables='{"name": "Alice", "unused": "x"}')

    assert fetched.rendered_template == "Hello, Alice! Welcome to {{company}}. {{ name }} {{}}"


def test_get_with_variables_renders_non_strings_as_compact_json(sdk: SDK) -> None:
    template = "{{n}}|{{f}}|{{b}}|{{z}}|{{o}}|{{a}}|{{s}}"
    created = sdk.llm.prompts.create(name="types", template=template)
    variables = {"n": 3, "f": 1.5, "b": True, "z": None, "o": {"a": 1}, "a": [1, 2], "s": "é"}

    fetched = sdk.llm.prompts.get(id=created.id, variables=json.dumps(variables, indent=2))

    assert fetched.rendered_template == '3|1.5|true|null|{"a":1}|[1,2]|é'


def test_get_with_variables_renders_in_one_pass(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    fetched = sdk.llm.prompts.get(
        id=created.id, variables='{"name": "{{company}}", "company": "Acme"}'
    )

    assert fetched.rendered_template == "Hello, {{company}}! Welcome to Acme."


def test_get_with_empty_variables_renders_template_unchanged(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    fetched = sdk.llm.prompts.get(id=created.id, variables="{}")

    assert "rendered_template" in fetched.model_fields_set
    assert fetched.rendered_template == GREETING


def test_get_with_missing_version_is_404_naming_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    for version in (2, 0, -1):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.get(id=created.id, version=version)
        assert api_error(caught.value, 404)["param"] == "version"


# --------------------------------------------------------------------------- updatePrompt


def test_update_renames_and_keeps_other_fields(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, description="d", metadata={"team": "x"}
    )

    updated = sdk.llm.prompts.update(id=created.id, name="welcome-greeting")

    assert updated.id == created.id
    assert updated.object == "prompt"
    assert updated.name == "welcome-greeting"
    assert updated.description == "d"
    assert updated.metadata == {"team": "x"}
    assert (updated.active_version, updated.latest_version) == (1, 1)
    assert updated.created_at == created.created_at
    assert updated.updated_at >= created.updated_at
    assert_whole_second_utc(updated.updated_at)
    fetched = sdk.llm.prompts.get(id=created.id)
    assert fetched.name == "welcome-greeting"
    assert fetched.active_template == GREETING


def test_update_null_description_clears_it(wire: tuple[SDK, list[httpx.Response]]) -> None:
    sdk, responses = wire
    created = sdk.llm.prompts.create(name="greeting", template=GREETING, description="old")

    updated = sdk.llm.prompts.update(id=created.id, description=None)

    assert json.loads(responses[-1].request.content) == {"description": None}
    assert "description" not in responses[-1].json()
    assert "description" not in updated.model_fields_set
    assert updated.name == "greeting"
    fetched = sdk.llm.prompts.get(id=created.id)
    assert "description" not in fetched.model_fields_set
    assert "description" not in responses[-1].json()


def test_update_description_sets_new_text(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    updated = sdk.llm.prompts.update(id=created.id, description="Updated greeting")

    assert updated.description == "Updated greeting"
    assert sdk.llm.prompts.get(id=created.id).description == "Updated greeting"


def test_update_metadata_replaces_whole_object(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, metadata={"team": "onboarding", "tier": 1}
    )

    updated = sdk.llm.prompts.update(id=created.id, metadata={"reviewed": True})

    assert updated.metadata == {"reviewed": True}
    assert sdk.llm.prompts.get(id=created.id).metadata == {"reviewed": True}
    (listed,) = sdk.llm.prompts.list().data
    assert listed.metadata == {"reviewed": True}


def test_update_with_no_fields_changes_nothing(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, description="d", metadata={"k": "v"}
    )

    updated = sdk.llm.prompts.update(id=created.id)

    assert (updated.name, updated.description, updated.metadata) == ("greeting", "d", {"k": "v"})
    assert (updated.active_version, updated.latest_version) == (1, 1)


def test_update_never_creates_a_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    sdk.llm.prompts.update(id=created.id, name="n2", description="d2", metadata={"a": 1})

    versions = sdk.llm.prompts.list_versions(id=created.id)
    assert [version.version for version in versions.data] == [1]
    assert sdk.llm.prompts.get(id=created.id).active_template == GREETING


# --------------------------------------------------------------------------- createPromptVersion


def test_create_version_becomes_active_and_latest(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    version = sdk.llm.prompts.create_version(id=created.id, template="Hi {{name}}!")

    assert VERSION_ID.match(version.id)
    assert version.id != created.version.id
    assert version.object == "prompt.version"
    assert version.prompt_id == created.id
    assert version.version == 2
    assert version.template == "Hi {{name}}!"
    assert_whole_second_utc(version.created_at)
    fetched = sdk.llm.prompts.get(id=created.id)
    assert (fetched.active_version, fetched.latest_version) == (2, 2)
    assert fetched.active_template == "Hi {{name}}!"
    assert fetched.updated_at >= created.updated_at


def test_create_version_with_identical_template_still_adds_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    version = sdk.llm.prompts.create_version(id=created.id, template=GREETING)

    assert version.version == 2
    assert sdk.llm.prompts.get(id=created.id).latest_version == 2


def test_create_version_after_rollback_is_latest_plus_one(sdk: SDK, versioned: str) -> None:
    sdk.llm.prompts.rollback(id=versioned, version=1)

    version = sdk.llm.prompts.create_version(id=versioned, template="v4")

    assert version.version == 4
    fetched = sdk.llm.prompts.get(id=versioned)
    assert (fetched.active_version, fetched.latest_version) == (4, 4)
    assert fetched.active_template == "v4"


# --------------------------------------------------------------------------- listPromptVersions


def test_list_versions_defaults_to_newest_first(sdk: SDK, versioned: str) -> None:
    versions = sdk.llm.prompts.list_versions(id=versioned)

    assert versions.object == "list"
    assert [version.version for version in versions.data] == [3, 2, 1]
    assert [version.template for version in versions.data] == ["v3", "v2", "v1"]
    assert {version.prompt_id for version in versions.data} == {versioned}
    assert len({version.id for version in versions.data}) == 3
    assert all(VERSION_ID.match(version.id) for version in versions.data)


def test_list_versions_asc_is_oldest_first(sdk: SDK, versioned: str) -> None:
    versions = sdk.llm.prompts.list_versions(id=versioned, order="asc")

    assert [version.version for version in versions.data] == [1, 2, 3]


def test_list_versions_limit_keeps_first_in_order(sdk: SDK, versioned: str) -> None:
    newest = sdk.llm.prompts.list_versions(id=versioned, limit=2)
    oldest = sdk.llm.prompts.list_versions(id=versioned, limit=2, order="asc")

    assert [version.version for version in newest.data] == [3, 2]
    assert [version.version for version in oldest.data] == [1, 2]


# --------------------------------------------------------------------------- getPromptVersion


def test_get_version_returns_that_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)
    second = sdk.llm.prompts.create_version(id=created.id, template="v2")

    first = sdk.llm.prompts.get_version(id=created.id, version=1)
    again = sdk.llm.prompts.get_version(id=created.id, version=2)

    assert first.id == created.version.id
    assert first.object == "prompt.version"
    assert first.prompt_id == created.id
    assert first.version == 1
    assert first.template == GREETING
    assert first.created_at == created.version.created_at
    assert again.model_dump() == second.model_dump()


def test_get_version_missing_is_404_naming_version(sdk: SDK, versioned: str) -> None:
    for number in (4, 0, -1):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.get_version(id=versioned, version=number)
        assert api_error(caught.value, 404)["param"] == "version"


# --------------------------------------------------------------------------- rollbackPrompt


def test_rollback_back_and_forward_keeps_latest(sdk: SDK, versioned: str) -> None:
    back = sdk.llm.prompts.rollback(id=versioned, version=1)

    assert back.id == versioned
    assert back.object == "prompt"
    assert (back.active_version, back.latest_version) == (1, 3)
    assert sdk.llm.prompts.get(id=versioned).active_template == "v1"
    versions = sdk.llm.prompts.list_versions(id=versioned)
    assert [version.version for version in versions.data] == [3, 2, 1]

    forward = sdk.llm.prompts.rollback(id=versioned, version=3)

    assert (forward.active_version, forward.latest_version) == (3, 3)
    assert sdk.llm.prompts.get(id=versioned).active_template == "v3"


def test_rollback_to_middle_version(sdk: SDK, versioned: str) -> None:
    rolled = sdk.llm.prompts.rollback(id=versioned, version=2)

    assert (rolled.active_version, rolled.latest_version) == (2, 3)
    assert sdk.llm.prompts.get(id=versioned).active_template == "v2"


def test_rollback_to_active_version_changes_nothing(sdk: SDK, versioned: str) -> None:
    rolled = sdk.llm.prompts.rollback(id=versioned, version=3)

    assert (rolled.active_version, rolled.latest_version) == (3, 3)
    assert sdk.llm.prompts.get(id=versioned).active_template == "v3"


def test_rollback_to_missing_version_is_404_naming_version(sdk: SDK, versioned: str) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.rollback(id=versioned, version=4)

    assert api_error(caught.value, 404)["param"] == "version"
    fetched = sdk.llm.prompts.get(id=versioned)
    assert (fetched.active_version, fetched.latest_version) == (3, 3)


# --------------------------------------------------------------------------- deletePrompt


def test_delete_confirms_and_removes_prompt(sdk: SDK) -> None:
    doomed = sdk.llm.prompts.create(name="doomed", template="t")
    kept = sdk.llm.prompts.create(name="kept", template="t")

    deleted = sdk.llm.prompts.delete(id=doomed.id)

    assert deleted.id == doomed.id
    assert deleted.object == "prompt.deleted"
    assert deleted.deleted is True
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id=doomed.id)
    assert api_error(caught.value, 404)["param"] == "id"
    assert [prompt.id for prompt in sdk.llm.prompts.list().data] == [kept.id]


def assert_every_call_on_the_id_is_404(prompts: Any, prompt_id: str) -> None:
    """All seven operations that take a prompt ID answer 404 naming ``id``."""
    calls: list[Callable[[], object]] = [
        lambda: prompts.get(id=prompt_id),
        lambda: prompts.update(id=prompt_id, name="x"),
        lambda: prompts.delete(id=prompt_id),
        lambda: prompts.create_version(id=prompt_id, template="t2"),
        lambda: prompts.list_versions(id=prompt_id),
        lambda: prompts.get_version(id=prompt_id, version=1),
        lambda: prompts.rollback(id=prompt_id, version=1),
    ]
    for call in calls:
        with pytest.raises(SDKDefaultError) as caught:
            call()
        assert api_error(caught.value, 404)["param"] == "id"


def test_delete_makes_every_operation_on_the_id_404(sdk: SDK) -> None:
    doomed = sdk.llm.prompts.create(name="doomed", template="t")
    sdk.llm.prompts.delete(id=doomed.id)
    prompts = sdk.llm.prompts
    assert_every_call_on_the_id_is_404(prompts, doomed.id)


def test_delete_with_deleted_after_cursor_is_404_naming_after(sdk: SDK) -> None:
    doomed = sdk.llm.prompts.create(name="doomed", template="t")
    sdk.llm.prompts.delete(id=doomed.id)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(after=doomed.id)

    assert api_error(caught.value, 404)["param"] == "after"


# --------------------------------------------------------------------------- tenancy


def test_tenancy_other_token_gets_404_for_every_operation(connect: Connect) -> None:
    owner, stranger = connect(TOKEN), connect(OTHER_TOKEN)
    created = owner.llm.prompts.create(name="mine", template="t")
    prompts = stranger.llm.prompts
    assert_every_call_on_the_id_is_404(prompts, created.id)
    fetched = owner.llm.prompts.get(id=created.id)
    assert (fetched.name, fetched.latest_version) == ("mine", 1)


def test_tenancy_on_behalf_of_is_a_separate_owner(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="account-level", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id=created.id, x_on_behalf_of="u1")
    assert api_error(caught.value, 404)["param"] == "id"

    delegated = sdk.llm.prompts.create(name="for-u1", template="t", x_on_behalf_of="u1")
    assert sdk.llm.prompts.get(id=delegated.id, x_on_behalf_of="u1").name == "for-u1"
    for other in (None, "u2"):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.get(id=delegated.id, x_on_behalf_of=other)
        assert api_error(caught.value, 404)["param"] == "id"


def test_tenancy_lists_are_separate(connect: Connect) -> None:
    alice, bob = connect(TOKEN), connect(OTHER_TOKEN)
    alice_ids = [alice.llm.prompts.create(name=f"a{i}", template="t").id for i in range(2)]
    bob_id = bob.llm.prompts.create(name="b", template="t").id
    user_id = alice.llm.prompts.create(name="u", template="t", x_on_behalf_of="u1").id

    assert [p.id for p in alice.llm.prompts.list(order="asc").data] == alice_ids
    assert [p.id for p in bob.llm.prompts.list().data] == [bob_id]
    assert [p.id for p in alice.llm.prompts.list(x_on_behalf_of="u1").data] == [user_id]
    assert bob.llm.prompts.list(x_on_behalf_of="u1").data == []


def test_tenancy_other_owners_id_as_after_is_404_naming_after(connect: Connect) -> None:
    alice, bob = connect(TOKEN), connect(OTHER_TOKEN)
    alice.llm.prompts.create(name="a", template="t")
    bob_id = bob.llm.prompts.create(name="b", template="t").id

    with pytest.raises(SDKDefaultError) as caught:
        alice.llm.prompts.list(after=bob_id)

    assert api_error(caught.value, 404)["param"] == "after"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("limit", [0, 101])
def test_errors_list_limit_out_of_range_is_400_naming_limit(sdk: SDK, limit: int) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(limit=limit, retries=NO_RETRIES)

    error = api_error(caught.value, 400)
    assert error["param"] == "limit"
    assert locations(error) == ["query.limit"]


def test_errors_list_unknown_after_is_404_naming_after(sdk: SDK) -> None:
    sdk.llm.prompts.create(name="p", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(after=UNKNOWN_ID, retries=NO_RETRIES)

    assert api_error(caught.value, 404)["param"] == "after"


def test_errors_list_versions_limit_above_100_is_400_naming_limit(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="p", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list_versions(id=created.id, limit=101, retries=NO_RETRIES)

    error = api_error(caught.value, 400)
    assert error["param"] == "limit"
    assert locations(error) == ["query.limit"]


def test_errors_rollback_version_zero_is_400_naming_version(sdk: SDK, versioned: str) -> None:
    sdk.llm.prompts.rollback(id=versioned, version=2)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.rollback(id=versioned, version=0, retries=NO_RETRIES)

    error = api_error(caught.value, 400)
    assert error["param"] == "version"
    assert locations(error) == ["body.version"]
    assert sdk.llm.prompts.get(id=versioned).active_version == 2


def test_errors_bad_body_on_unknown_prompt_is_400_not_404(sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.rollback(id=UNKNOWN_ID, version=0, retries=NO_RETRIES)

    assert api_error(caught.value, 400)["param"] == "version"


def test_errors_create_empty_name_is_400_naming_name(sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.create(name="", template="t", retries=NO_RETRIES)

    error = api_error(caught.value, 400)
    assert error["param"] == "name"
    assert locations(error) == ["body.name"]
    assert sdk.llm.prompts.list().data == []


def test_errors_create_version_empty_template_is_400_naming_template(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="p", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.create_version(id=created.id, template="", retries=NO_RETRIES)

    error = api_error(caught.value, 400)
    assert error["param"] == "template"
    assert locations(error) == ["body.template"]
    assert sdk.llm.prompts.get(id=created.id).latest_version == 1


def test_errors_update_name_too_long_is_400_naming_name(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="p", template="t")

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.update(id=created.id, name="x" * 256, retries=NO_RETRIES)

    assert api_error(caught.value, 400)["param"] == "name"
    assert sdk.llm.prompts.get(id=created.id).name == "p"


@pytest.mark.parametrize("variables", ["not json", "[1, 2]", '"Alice"', "3"])
def test_errors_get_variables_not_an_object_is_400_naming_variables(
    sdk: SDK, variables: str
) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id=created.id, variables=variables, retries=NO_RETRIES)

    assert api_error(caught.value, 400)["param"] == "variables"


def test_errors_unknown_prompt_is_404_naming_id(sdk: SDK) -> None:
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.get(id=UNKNOWN_ID, retries=NO_RETRIES)

    error = api_error(caught.value, 404)
    assert error["param"] == "id"
    assert error["details"] == []


def test_errors_rejected_token_is_401(connect: Connect) -> None:
    with MockServer(Settings(port=0, api_keys=frozenset({"good"}))) as guarded:
        bad = connect("bad", url=guarded.url)
        good = connect("good", url=guarded.url)

        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.create(name="p", template="t", retries=NO_RETRIES)
        error = api_error(caught.value, 401)
        assert error["param"] == "Authorization"
        assert locations(error) == ["header.Authorization"]

        created = good.llm.prompts.create(name="p", template="t")
        assert created.active_version == 1
        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.get(id=created.id, retries=NO_RETRIES)
        api_error(caught.value, 401)
        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.list(retries=NO_RETRIES)
        api_error(caught.value, 401)

        assert [prompt.id for _, prompt in guarded.session.store] == [created.id]
        assert [v.as_dict() for v in guarded.session.violations] == []


def test_errors_missing_token_is_401(connect: Connect) -> None:
    anonymous = connect(None)

    with pytest.raises(SDKDefaultError) as caught:
        anonymous.llm.prompts.list(retries=NO_RETRIES)

    error = api_error(caught.value, 401)
    assert error["param"] == "Authorization"
    assert locations(error) == ["header.Authorization"]


# --------------------------------------------------------------------------- concurrency


def test_concurrency_parallel_create_version_numbers_each_once(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="busy", template="t0")

    def add(i: int) -> int:
        return sdk.llm.prompts.create_version(id=created.id, template=f"t{i}").version

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(add, range(1, 51)))

    assert sorted(numbers) == list(range(2, 52))
    versions = sdk.llm.prompts.list_versions(id=created.id, limit=100, order="asc").data
    assert [version.version for version in versions] == list(range(1, 52))
    assert len({version.id for version in versions}) == 51
    fetched = sdk.llm.prompts.get(id=created.id)
    assert (fetched.active_version, fetched.latest_version) == (51, 51)


def test_concurrency_parallel_creates_all_listed(sdk: SDK) -> None:
    def create(i: int) -> str:
        return sdk.llm.prompts.create(name=f"p{i}", template="t").id

    with ThreadPoolExecutor(max_workers=25) as pool:
        ids = list(pool.map(create, range(50)))

    listed = sdk.llm.prompts.list(limit=100).data
    assert len(set(ids)) == 50
    assert sorted(prompt.id for prompt in listed) == sorted(ids)
