"""The official MKA1 SDK (``meetkai-mka1``) against the shared real uvicorn mock.

What the SDK adds to what the in-process tests (test_prompts*.py, test_requests*.py) prove of the
server: one round trip per operation through ``from mka1 import SDK``, exactly as a user calls
it; that its models parse the answers (constants, types, timestamps, optional fields left out);
that its parameters, headers and bodies arrive as meant (read from the mock's journal); and that
its errors and concurrent calls behave. Async methods: test_sdk_async.py; retries and timeouts:
test_faults_retries.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError

from mka1_mock.server import MockServer
from mka1_mock.settings import Settings
from tests.helpers import (
    OTHER_TOKEN,
    PROMPT_ID,
    TOKEN,
    VERSION_ID,
    Connect,
    assert_error,
    assert_whole_second_utc,
)

GREETING = "Hello, {{name}}! Welcome to {{company}}."


@pytest.fixture
def versioned(sdk: SDK) -> str:
    """A prompt with versions 1..3 (templates ``v1``..``v3``), version 3 active."""
    prompt = sdk.llm.prompts.create(name="versioned", template="v1")
    sdk.llm.prompts.create_version(id=prompt.id, template="v2")
    sdk.llm.prompts.create_version(id=prompt.id, template="v3")
    return prompt.id


def assert_every_call_on_the_id_is_404(prompts: Any, prompt_id: str) -> None:
    """All seven operations that take a prompt ID raise the SDK's error for a 404 naming ``id``."""
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
        assert_error(caught.value, 404, param="id")


# --------------------------------------------------------------------------- what is sent


def test_the_sdk_sends_its_token_defaults_and_parameters_as_meant(
    server: MockServer, sdk: SDK
) -> None:
    created = sdk.llm.prompts.create(name="a", template="{{name}}", x_on_behalf_of="u1")
    variables = json.dumps({"name": "A \u00e9&=+#%", "n": [1]}, indent=2, ensure_ascii=False)

    sdk.llm.prompts.list()
    sdk.llm.prompts.list(limit=2, order="asc", after=created.id, x_on_behalf_of="u1")
    fetched = sdk.llm.prompts.get(
        id=created.id, version=1, variables=variables, x_on_behalf_of="u1"
    )
    sdk.llm.prompts.list_versions(id=created.id, x_on_behalf_of="u1")
    sdk.llm.prompts.rollback(id=created.id, version=1, x_on_behalf_of="u1")

    create, default_list, page, get, versions, rollback = server.requests()
    assert {entry.headers["authorization"] for entry in server.requests()} == {f"Bearer {TOKEN}"}
    assert (create.headers["x-on-behalf-of"], create.body) == (
        "u1",
        {"name": "a", "template": "{{name}}"},
    )
    assert create.headers["content-type"] == "application/json"
    # The SDK sends the documented defaults itself, and no X-On-Behalf-Of unless given one.
    assert default_list.query == {"limit": "20", "order": "desc"}
    assert "x-on-behalf-of" not in default_list.headers
    assert page.query == {"limit": "2", "order": "asc", "after": created.id}
    # ``variables`` (JSON with newlines, non-ASCII and URL-special characters) arrives unchanged.
    assert get.query == {"version": "1", "variables": variables}
    assert fetched.rendered_template == "A \u00e9&=+#%"
    assert versions.query == {"limit": "20", "order": "desc"}
    assert rollback.body == {"version": 1}
    assert all(entry.headers.get("x-on-behalf-of") == "u1" for entry in (page, get, versions))


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


# --------------------------------------------------------------------------- listPrompts


def test_list_pages_both_ways_with_the_after_cursor(sdk: SDK) -> None:
    first, second, third = (sdk.llm.prompts.create(name=f"p{i}", template="t").id for i in range(3))

    page = sdk.llm.prompts.list(limit=2)
    assert page.object == "list"
    assert [prompt.id for prompt in page.data] == [third, second]
    assert page.has_more is True
    assert (page.first_id, page.last_id) == (third, second)
    rest = sdk.llm.prompts.list(limit=2, after=page.last_id)
    assert [prompt.id for prompt in rest.data] == [first]
    assert rest.has_more is False
    assert (rest.first_id, rest.last_id) == (first, first)

    page = sdk.llm.prompts.list(limit=2, order="asc")
    assert [prompt.id for prompt in page.data] == [first, second]
    assert page.has_more is True
    rest = sdk.llm.prompts.list(limit=2, order="asc", after=page.last_id)
    assert [prompt.id for prompt in rest.data] == [third]
    assert rest.has_more is False

    ascending = sdk.llm.prompts.list(order="asc")
    descending = sdk.llm.prompts.list(order="desc")
    default = sdk.llm.prompts.list()
    assert [prompt.id for prompt in ascending.data] == [first, second, third]
    assert [prompt.id for prompt in descending.data] == [third, second, first]
    assert [prompt.id for prompt in default.data] == [third, second, first]
    assert (ascending.first_id, ascending.last_id) == (first, third)
    assert (descending.first_id, descending.last_id) == (third, first)


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


def test_get_with_version_and_variables_renders_that_version(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}} (v1)")
    sdk.llm.prompts.create_version(id=created.id, template="Hello {{name}} (v2)")

    older = sdk.llm.prompts.get(id=created.id, version=1)
    rendered = sdk.llm.prompts.get(id=created.id, version=1, variables='{"name":"Bo"}')
    current = sdk.llm.prompts.get(id=created.id)

    assert older.active_template == "Hi {{name}} (v1)"
    assert (older.active_version, older.latest_version) == (2, 2)
    assert rendered.active_template == "Hi {{name}} (v1)"
    assert rendered.rendered_template == "Hi Bo (v1)"
    assert current.active_template == "Hello {{name}} (v2)"


def test_get_with_variables_renders_docs_greeting(sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING)

    fetched = sdk.llm.prompts.get(
        id=created.id, variables=json.dumps({"name": "Alice", "company": "Acme"})
    )

    assert fetched.rendered_template == "Hello, Alice! Welcome to Acme."
    assert fetched.active_template == GREETING


def test_get_with_variables_renders_non_strings_as_compact_json(sdk: SDK) -> None:
    template = "{{n}}|{{f}}|{{b}}|{{z}}|{{o}}|{{a}}|{{s}}"
    created = sdk.llm.prompts.create(name="types", template=template)
    variables = {"n": 3, "f": 1.5, "b": True, "z": None, "o": {"a": 1}, "a": [1, 2], "s": "é"}

    fetched = sdk.llm.prompts.get(id=created.id, variables=json.dumps(variables, indent=2))

    assert fetched.rendered_template == '3|1.5|true|null|{"a":1}|[1,2]|é'


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


def test_update_null_description_clears_it(server: MockServer, sdk: SDK) -> None:
    created = sdk.llm.prompts.create(name="greeting", template=GREETING, description="old")

    updated = sdk.llm.prompts.update(id=created.id, description=None)

    (sent,) = server.requests("updatePrompt")
    assert sent.body == {"description": None}  # an explicit null, not a left-out field
    assert "description" not in sent.response
    assert "description" not in updated.model_fields_set
    assert updated.name == "greeting"
    fetched = sdk.llm.prompts.get(id=created.id)
    assert "description" not in fetched.model_fields_set
    assert "description" not in server.requests("getPrompt")[-1].response


def test_update_with_no_fields_changes_nothing(server: MockServer, sdk: SDK) -> None:
    created = sdk.llm.prompts.create(
        name="greeting", template=GREETING, description="d", metadata={"k": "v"}
    )

    updated = sdk.llm.prompts.update(id=created.id)

    assert server.requests("updatePrompt")[0].body == {}
    assert (updated.name, updated.description, updated.metadata) == ("greeting", "d", {"k": "v"})
    assert (updated.active_version, updated.latest_version) == (1, 1)


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


# --------------------------------------------------------------------------- listPromptVersions


def test_list_versions_defaults_to_newest_first(sdk: SDK, versioned: str) -> None:
    versions = sdk.llm.prompts.list_versions(id=versioned)

    assert versions.object == "list"
    assert [version.version for version in versions.data] == [3, 2, 1]
    assert [version.template for version in versions.data] == ["v3", "v2", "v1"]
    assert {version.prompt_id for version in versions.data} == {versioned}
    assert len({version.id for version in versions.data}) == 3
    assert all(VERSION_ID.match(version.id) for version in versions.data)


def test_list_versions_with_order_and_limit(sdk: SDK, versioned: str) -> None:
    oldest_first = sdk.llm.prompts.list_versions(id=versioned, order="asc")
    newest = sdk.llm.prompts.list_versions(id=versioned, limit=2)
    oldest = sdk.llm.prompts.list_versions(id=versioned, limit=2, order="asc")

    assert [version.version for version in oldest_first.data] == [1, 2, 3]
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
    assert_error(caught.value, 404, param="id")
    assert [prompt.id for prompt in sdk.llm.prompts.list().data] == [kept.id]


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
    assert_error(caught.value, 404, param="id")

    delegated = sdk.llm.prompts.create(name="for-u1", template="t", x_on_behalf_of="u1")
    assert sdk.llm.prompts.get(id=delegated.id, x_on_behalf_of="u1").name == "for-u1"
    for other in (None, "u2"):
        with pytest.raises(SDKDefaultError) as caught:
            sdk.llm.prompts.get(id=delegated.id, x_on_behalf_of=other)
        assert_error(caught.value, 404, param="id")


def test_tenancy_lists_are_separate(connect: Connect) -> None:
    alice, bob = connect(TOKEN), connect(OTHER_TOKEN)
    alice_ids = [alice.llm.prompts.create(name=f"a{i}", template="t").id for i in range(2)]
    bob_id = bob.llm.prompts.create(name="b", template="t").id
    user_id = alice.llm.prompts.create(name="u", template="t", x_on_behalf_of="u1").id

    assert [p.id for p in alice.llm.prompts.list(order="asc").data] == alice_ids
    assert [p.id for p in bob.llm.prompts.list().data] == [bob_id]
    assert [p.id for p in alice.llm.prompts.list(x_on_behalf_of="u1").data] == [user_id]
    assert bob.llm.prompts.list(x_on_behalf_of="u1").data == []


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("limit", [0, 101])
def test_errors_are_sent_to_the_server_and_raised_with_its_body(sdk: SDK, limit: int) -> None:
    """The SDK checks nothing itself: an out-of-range limit is the server's 400."""
    with pytest.raises(SDKDefaultError) as caught:
        sdk.llm.prompts.list(limit=limit)

    assert_error(caught.value, 400, param="limit", locations=["query.limit"])


def test_errors_rejected_token_is_401(connect: Connect) -> None:
    with MockServer(Settings(port=0, api_keys=frozenset({"good"}))) as guarded:
        bad = connect("bad", url=guarded.url)
        good = connect("good", url=guarded.url)

        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.create(name="p", template="t")
        assert_error(caught.value, 401, param="Authorization", locations=["header.Authorization"])

        created = good.llm.prompts.create(name="p", template="t")
        assert created.active_version == 1
        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.get(id=created.id)
        assert_error(caught.value, 401)
        with pytest.raises(SDKDefaultError) as caught:
            bad.llm.prompts.list()
        assert_error(caught.value, 401)

        assert [prompt.id for _, prompt in guarded.session.store] == [created.id]
        assert [v.as_dict() for v in guarded.session.violations] == []


def test_errors_missing_token_is_401(server: MockServer, connect: Connect) -> None:
    anonymous = connect(None)

    with pytest.raises(SDKDefaultError) as caught:
        anonymous.llm.prompts.list()

    assert_error(caught.value, 401, param="Authorization", locations=["header.Authorization"])
    assert "authorization" not in server.requests()[0].headers


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
