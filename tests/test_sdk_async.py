"""The official MKA1 SDK's ``*_async`` methods against the shared real uvicorn mock: a round trip
of each operation, its errors and retries, and concurrent calls on one event loop.

No asyncio plugin is installed: each test runs its scenario with ``asyncio.run``. Each scenario
opens its own httpx clients inside its event loop and closes them there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
import pytest
from mka1 import SDK
from mka1.errors import SDKDefaultError

from mka1_mock.server import MockServer
from tests.helpers import (
    FAST_RETRIES,
    NO_RETRIES,
    OTHER_TOKEN,
    PROMPT_ID,
    RATE_LIMITED,
    TOKEN,
    UNKNOWN_ID,
    VERSION_ID,
    SdkWaits,
    assert_error,
    assert_whole_second_utc,
    fast_backoff,
    statuses,
)

T = TypeVar("T")
GREETING = "Hello, {{name}}! Welcome to {{company}}."


@asynccontextmanager
async def open_sdk(url: str, token: str = TOKEN) -> AsyncIterator[SDK]:
    """An SDK whose clients live and die inside the running event loop."""
    with httpx.Client() as client:
        async with httpx.AsyncClient() as async_client:
            yield SDK(
                bearer_auth=token,
                server_url=url,
                client=client,
                async_client=async_client,
                retry_config=NO_RETRIES,
            )


def run(server: MockServer, scenario: Callable[[SDK], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_sdk(server.url) as sdk:
            return await scenario(sdk)

    return asyncio.run(main())


def test_async_create_returns_prompt_with_first_version(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(
            name="greeting", template=GREETING, metadata={"team": "onboarding"}
        )
        assert PROMPT_ID.match(created.id)
        assert VERSION_ID.match(created.version.id)
        assert (created.active_version, created.latest_version) == (1, 1)
        assert created.metadata == {"team": "onboarding"}
        assert "description" not in created.model_fields_set
        assert created.version.template == GREETING
        assert created.version.prompt_id == created.id
        assert_whole_second_utc(created.created_at)

    run(server, scenario)


def test_async_get_renders_variables_and_versions(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(name="greeting", template=GREETING)
        await sdk.llm.prompts.create_version_async(id=created.id, template="Bye, {{name}}.")

        rendered = await sdk.llm.prompts.get_async(
            id=created.id,
            version=1,
            variables=json.dumps({"name": "Alice", "company": "Acme"}),
        )
        assert rendered.active_template == GREETING
        assert rendered.rendered_template == "Hello, Alice! Welcome to Acme."
        assert (rendered.active_version, rendered.latest_version) == (2, 2)

        current = await sdk.llm.prompts.get_async(id=created.id)
        assert current.active_template == "Bye, {{name}}."
        assert "rendered_template" not in current.model_fields_set

    run(server, scenario)


def test_async_list_pages_with_after_cursor(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        ids = [
            (await sdk.llm.prompts.create_async(name=f"p{i}", template="t")).id for i in range(3)
        ]
        page = await sdk.llm.prompts.list_async(limit=2, order="asc")
        assert [prompt.id for prompt in page.data] == ids[:2]
        assert page.has_more is True
        assert (page.first_id, page.last_id) == (ids[0], ids[1])

        rest = await sdk.llm.prompts.list_async(limit=2, order="asc", after=page.last_id)
        assert [prompt.id for prompt in rest.data] == ids[2:]
        assert rest.has_more is False

        newest = await sdk.llm.prompts.list_async()
        assert [prompt.id for prompt in newest.data] == ids[::-1]

    run(server, scenario)


def test_async_update_replaces_fields(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(
            name="greeting", template=GREETING, description="d", metadata={"a": 1}
        )
        updated = await sdk.llm.prompts.update_async(
            id=created.id, name="welcome", description=None, metadata={"b": 2}
        )
        assert updated.name == "welcome"
        assert "description" not in updated.model_fields_set
        assert updated.metadata == {"b": 2}
        assert (updated.active_version, updated.latest_version) == (1, 1)

    run(server, scenario)


def test_async_create_version_and_rollback(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(name="p", template="v1")
        second = await sdk.llm.prompts.create_version_async(id=created.id, template="v2")
        assert second.version == 2
        assert second.template == "v2"
        assert VERSION_ID.match(second.id)

        back = await sdk.llm.prompts.rollback_async(id=created.id, version=1)
        assert (back.active_version, back.latest_version) == (1, 2)
        assert (await sdk.llm.prompts.get_async(id=created.id)).active_template == "v1"

        forward = await sdk.llm.prompts.rollback_async(id=created.id, version=2)
        assert (forward.active_version, forward.latest_version) == (2, 2)

        versions = await sdk.llm.prompts.list_versions_async(id=created.id, order="asc")
        assert [version.version for version in versions.data] == [1, 2]
        fetched = await sdk.llm.prompts.get_version_async(id=created.id, version=2)
        assert fetched.model_dump() == second.model_dump()

    run(server, scenario)


def test_async_delete_removes_prompt(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(name="doomed", template="t")
        deleted = await sdk.llm.prompts.delete_async(id=created.id)
        assert (deleted.id, deleted.object, deleted.deleted) == (
            created.id,
            "prompt.deleted",
            True,
        )
        with pytest.raises(SDKDefaultError) as caught:
            await sdk.llm.prompts.get_async(id=created.id)
        assert_error(caught.value, 404, param="id")
        assert (await sdk.llm.prompts.list_async()).data == []

    run(server, scenario)


def test_async_errors_raise_sdk_default_error(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        with pytest.raises(SDKDefaultError) as caught:
            await sdk.llm.prompts.list_async(limit=101)
        assert_error(caught.value, 400, param="limit", locations=["query.limit"])

        with pytest.raises(SDKDefaultError) as caught:
            await sdk.llm.prompts.rollback_async(id=UNKNOWN_ID, version=1)
        assert_error(caught.value, 404, param="id")

    run(server, scenario)


def test_async_tenancy_other_token_gets_404(server: MockServer) -> None:
    async def main() -> None:
        async with open_sdk(server.url) as owner, open_sdk(server.url, OTHER_TOKEN) as other:
            created = await owner.llm.prompts.create_async(name="mine", template="t")
            with pytest.raises(SDKDefaultError) as caught:
                await other.llm.prompts.get_async(id=created.id)
            assert_error(caught.value, 404, param="id")
            assert (await other.llm.prompts.list_async()).data == []

    asyncio.run(main())


def test_async_concurrent_create_version_numbers_each_once(server: MockServer) -> None:
    async def scenario(sdk: SDK) -> None:
        created = await sdk.llm.prompts.create_async(name="busy", template="t0")
        made = await asyncio.gather(
            *(
                sdk.llm.prompts.create_version_async(id=created.id, template=f"t{i}")
                for i in range(1, 51)
            )
        )
        assert sorted(version.version for version in made) == list(range(2, 52))
        assert {version.template for version in made} == {f"t{i}" for i in range(1, 51)}

        listed = await sdk.llm.prompts.list_versions_async(id=created.id, limit=100)
        assert [version.version for version in listed.data] == list(range(51, 0, -1))
        assert len({version.id for version in listed.data}) == 51
        by_number = {version.version: version.template for version in listed.data}
        assert by_number == {version.version: version.template for version in made} | {1: "t0"}

        fetched = await sdk.llm.prompts.get_async(id=created.id)
        assert (fetched.active_version, fetched.latest_version) == (51, 51)

    run(server, scenario)


def test_async_retries_wait_for_retry_after_then_for_the_backoff(
    server: MockServer, sdk_waits: SdkWaits
) -> None:
    server.fail("listPrompts", status=429, retry_after=3, times=1)
    server.fail("createPrompt", status=503, times=2)

    async def scenario(sdk: SDK) -> None:
        assert (await sdk.llm.prompts.list_async(retries=FAST_RETRIES)).data == []
        assert sdk_waits.waits == [3]
        created = await sdk.llm.prompts.create_async(name="p", template="t", retries=FAST_RETRIES)
        assert sdk_waits.waits[1:] == pytest.approx(fast_backoff(2))
        assert PROMPT_ID.match(created.id)

    run(server, scenario)

    assert statuses(server.requests()) == [429, 200, 503, 503, 201]
    assert server.requests()[0].response == RATE_LIMITED
