"""Unit tests of ``mka1_mock.store.Store``, driven directly with seeded IDs and a fake clock."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from mka1_mock.errors import NotFound
from mka1_mock.ids import RandomIds
from mka1_mock.prompt import Prompt
from mka1_mock.store import Owner, Store
from tests.helpers import START, FakeClock

ALICE = Owner("token-a", None)
ALICE_FOR_USER = Owner("token-a", "user_1")
BOB = Owner("token-b", None)


@pytest.fixture
def clock() -> FakeClock:
    """Overrides conftest's ``clock``: a clock of its own, a second further at each reading."""
    return FakeClock(step=1)


@pytest.fixture
def store(clock: FakeClock) -> Store:
    return Store(RandomIds(7), clock)


def make(store: Store, count: int, owner: Owner = ALICE) -> list[str]:
    return [store.create(owner, name=f"p{i}", template=f"t{i}").id for i in range(count)]


def page_ids(
    store: Store, limit: int, order: Any, after: str | None = None, owner: Owner = ALICE
) -> tuple[list[str], bool]:
    prompts, has_more = store.page(owner, limit, order, after)
    return [p.id for p in prompts], has_more


def walk(store: Store, order: Any, limit: int, owner: Owner = ALICE) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    while True:
        ids, has_more = page_ids(store, limit, order, after, owner)
        seen += ids
        if not has_more:
            return seen
        after = ids[-1]


# --------------------------------------------------------------------------------------------
# create, get, IDs
# --------------------------------------------------------------------------------------------


def test_store_create_starts_at_version_1(store: Store) -> None:
    prompt = store.create(ALICE, name="n", template="t", description="d", metadata={"k": 1})
    assert re.fullmatch(r"prompt_[0-9a-f]{32}", prompt.id)
    assert (prompt.active_version, prompt.latest_version) == (1, 1)
    assert [v.number for v in prompt.versions] == [1]
    version = prompt.versions[0]
    assert re.fullmatch(r"pver_[0-9a-f]{32}", version.id)
    assert (version.prompt_id, version.template, version.created_at) == (prompt.id, "t", START)
    assert prompt.created_at == prompt.updated_at == START
    assert (prompt.description, prompt.metadata) == ("d", {"k": 1})


def test_store_create_copies_metadata(store: Store) -> None:
    metadata = {"k": 1}
    prompt = store.create(ALICE, name="n", template="t", metadata=metadata)
    metadata["k"] = 2
    assert prompt.metadata == {"k": 1}


def test_store_as_dict_omits_unset_description(store: Store) -> None:
    data = store.create(ALICE, name="n", template="t").as_dict()
    assert "description" not in data
    assert data["metadata"] == {}
    assert data["created_at"] == "2026-03-15T10:30:00Z"


def test_store_same_seed_same_ids(clock: FakeClock) -> None:
    def sequence() -> list[str]:
        store = Store(RandomIds(42), FakeClock(step=1))
        first = store.create(ALICE, name="a", template="t")
        second = store.add_version(ALICE, first.id, "u")
        third = store.create(BOB, name="b", template="t")
        return [first.id, first.versions[0].id, second.id, third.id, third.versions[0].id]

    assert sequence() == sequence()
    assert len(set(sequence())) == 5


def test_store_get_is_per_owner(store: Store) -> None:
    prompt_id = make(store, 1)[0]
    assert store.get(ALICE, prompt_id).id == prompt_id
    for stranger in (BOB, ALICE_FOR_USER):
        with pytest.raises(NotFound) as caught:
            store.get(stranger, prompt_id)
        assert caught.value.param == "id"


def test_store_get_unknown_is_not_found_id(store: Store) -> None:
    with pytest.raises(NotFound) as caught:
        store.get(ALICE, "prompt_" + "0" * 32)
    assert (caught.value.status, caught.value.param) == (404, "id")


# --------------------------------------------------------------------------------------------
# paging
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "limit", "after", "expected", "has_more"),
    [
        pytest.param("asc", 2, None, [0, 1], True, id="asc-first-page"),
        pytest.param("asc", 2, 1, [2, 3], True, id="asc-middle"),
        pytest.param("asc", 2, 3, [4, 5], False, id="asc-exact-end"),
        pytest.param("asc", 10, 5, [], False, id="asc-after-last"),
        pytest.param("asc", 6, None, [0, 1, 2, 3, 4, 5], False, id="asc-all-exactly"),
        pytest.param("desc", 2, None, [5, 4], True, id="desc-first-page"),
        pytest.param("desc", 2, 4, [3, 2], True, id="desc-middle"),
        pytest.param("desc", 2, 2, [1, 0], False, id="desc-exact-end"),
        pytest.param("desc", 10, 0, [], False, id="desc-after-last"),
        pytest.param("desc", 5, None, [5, 4, 3, 2, 1], True, id="desc-one-short"),
    ],
)
def test_store_page_with_cursor(
    store: Store,
    order: str,
    limit: int,
    after: int | None,
    expected: list[int],
    has_more: bool,
) -> None:
    ids = make(store, 6)
    cursor = ids[after] if after is not None else None
    assert page_ids(store, limit, order, cursor) == ([ids[i] for i in expected], has_more)


@pytest.mark.parametrize("step", [pytest.param(1, id="distinct-times"), pytest.param(0, id="ties")])
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_store_walk_visits_each_prompt_once(step: int, limit: int) -> None:
    store = Store(RandomIds(1), FakeClock(step=step))
    ids = make(store, 7)
    assert walk(store, "asc", limit) == ids
    assert walk(store, "desc", limit) == ids[::-1]


def test_store_page_orders_by_created_at_not_id(store: Store) -> None:
    ids = make(store, 20)
    assert page_ids(store, 100, "asc")[0] == ids
    assert ids != sorted(ids)  # the ordering does not come from the IDs themselves


def test_store_page_orders_by_created_at_even_when_clock_goes_back() -> None:
    clock = FakeClock(step=1)
    store = Store(RandomIds(3), clock)
    late = store.create(ALICE, name="late", template="t").id
    clock.set(START - timedelta(hours=1))
    early = store.create(ALICE, name="early", template="t").id
    assert page_ids(store, 10, "asc")[0] == [early, late]


def test_store_page_unknown_cursor_is_not_found_after(store: Store) -> None:
    make(store, 2)
    for cursor in ("prompt_" + "0" * 32, ""):
        with pytest.raises(NotFound) as caught:
            store.page(ALICE, 10, "asc", cursor)
        assert caught.value.param == "after"


def test_store_page_foreign_cursor_is_not_found_after(store: Store) -> None:
    theirs = make(store, 1, owner=BOB)[0]
    make(store, 1)
    with pytest.raises(NotFound) as caught:
        store.page(ALICE, 10, "desc", theirs)
    assert caught.value.param == "after"


def test_store_page_is_per_owner(store: Store) -> None:
    alice = make(store, 2)
    alice_for_user = make(store, 2, owner=ALICE_FOR_USER)
    assert page_ids(store, 10, "asc") == (alice, False)
    assert page_ids(store, 10, "asc", owner=ALICE_FOR_USER) == (alice_for_user, False)
    assert page_ids(store, 10, "asc", owner=BOB) == ([], False)


# --------------------------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [pytest.param(1, id="distinct-times"), pytest.param(0, id="ties")])
def test_store_delete_keeps_order_consistent(step: int) -> None:
    store = Store(RandomIds(5), FakeClock(step=step))
    ids = make(store, 6)
    deleted = store.delete(ALICE, ids[2])
    assert deleted.id == ids[2]
    rest = [ids[i] for i in (0, 1, 3, 4, 5)]
    assert page_ids(store, 10, "asc") == (rest, False)
    assert page_ids(store, 10, "desc") == (rest[::-1], False)
    assert page_ids(store, 1, "asc", ids[1]) == ([ids[3]], True)
    assert page_ids(store, 1, "desc", ids[3]) == ([ids[1]], True)
    assert walk(store, "asc", 2) == rest
    assert walk(store, "desc", 2) == rest[::-1]


@pytest.mark.parametrize("step", [pytest.param(1, id="distinct-times"), pytest.param(0, id="ties")])
def test_store_delete_first_and_last_then_create(step: int) -> None:
    store = Store(RandomIds(6), FakeClock(step=step))
    ids = make(store, 4)
    store.delete(ALICE, ids[0])
    store.delete(ALICE, ids[3])
    newest = store.create(ALICE, name="new", template="t").id
    assert page_ids(store, 10, "asc")[0] == [ids[1], ids[2], newest]
    assert page_ids(store, 10, "desc")[0] == [newest, ids[2], ids[1]]


def test_store_delete_all_leaves_an_empty_page(store: Store) -> None:
    for prompt_id in make(store, 3):
        store.delete(ALICE, prompt_id)
    assert page_ids(store, 10, "desc") == ([], False)


def test_store_deleted_prompt_is_gone_everywhere(store: Store) -> None:
    prompt_id = make(store, 1)[0]
    store.add_version(ALICE, prompt_id, "u")
    store.delete(ALICE, prompt_id)
    calls: list[Any] = [
        lambda: store.get(ALICE, prompt_id),
        lambda: store.delete(ALICE, prompt_id),
        lambda: store.update(ALICE, prompt_id, {"name": "x"}),
        lambda: store.add_version(ALICE, prompt_id, "v"),
        lambda: store.versions(ALICE, prompt_id, 10, "asc"),
        lambda: store.rollback(ALICE, prompt_id, 1),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.param == "id"
    assert list(store) == []
    with pytest.raises(NotFound):
        store.page(ALICE, 10, "asc", prompt_id)


def test_store_delete_is_per_owner(store: Store) -> None:
    prompt_id = make(store, 1)[0]
    with pytest.raises(NotFound):
        store.delete(BOB, prompt_id)
    assert store.get(ALICE, prompt_id).id == prompt_id


# --------------------------------------------------------------------------------------------
# versions
# --------------------------------------------------------------------------------------------


def numbers(store: Store, prompt_id: str, limit: int = 100, order: Any = "asc") -> list[int]:
    return [v.number for v in store.versions(ALICE, prompt_id, limit, order)]


def test_store_versions_number_consecutively(store: Store, clock: FakeClock) -> None:
    prompt = store.create(ALICE, name="n", template="t1")
    made = [store.add_version(ALICE, prompt.id, f"t{n}") for n in (2, 3, 4)]
    assert [v.number for v in made] == [2, 3, 4]
    assert [v.template for v in prompt.versions] == ["t1", "t2", "t3", "t4"]
    assert (prompt.active_version, prompt.latest_version) == (4, 4)
    times = [START + timedelta(seconds=s) for s in range(4)]
    assert [v.created_at for v in prompt.versions] == times
    assert prompt.updated_at == START + timedelta(seconds=3)
    assert prompt.created_at == START
    assert len({v.id for v in prompt.versions}) == 4


def test_store_add_version_after_rollback_is_latest_plus_one(store: Store) -> None:
    prompt = store.create(ALICE, name="n", template="t1")
    store.add_version(ALICE, prompt.id, "t2")
    store.add_version(ALICE, prompt.id, "t3")
    store.rollback(ALICE, prompt.id, 1)
    assert (prompt.active_version, prompt.latest_version) == (1, 3)
    version = store.add_version(ALICE, prompt.id, "t1")
    assert version.number == 4
    assert (prompt.active_version, prompt.latest_version) == (4, 4)


def test_store_versions_are_independent_per_prompt(store: Store) -> None:
    first, second = make(store, 2)
    store.add_version(ALICE, first, "x")
    store.add_version(ALICE, first, "y")
    assert store.add_version(ALICE, second, "z").number == 2
    assert numbers(store, first) == [1, 2, 3]
    assert numbers(store, second) == [1, 2]


@pytest.mark.parametrize(
    ("limit", "order", "expected"),
    [
        pytest.param(100, "asc", [1, 2, 3, 4, 5], id="asc-all"),
        pytest.param(100, "desc", [5, 4, 3, 2, 1], id="desc-all"),
        pytest.param(2, "asc", [1, 2], id="asc-limit"),
        pytest.param(2, "desc", [5, 4], id="desc-limit"),
        pytest.param(5, "desc", [5, 4, 3, 2, 1], id="desc-limit-equal"),
        pytest.param(1, "desc", [5], id="desc-limit-1"),
        pytest.param(1, "asc", [1], id="asc-limit-1"),
    ],
)
def test_store_versions_order_and_limit(
    store: Store, limit: int, order: str, expected: list[int]
) -> None:
    prompt_id = make(store, 1)[0]
    for n in range(2, 6):
        store.add_version(ALICE, prompt_id, f"t{n}")
    assert numbers(store, prompt_id, limit, order) == expected


@pytest.mark.parametrize("number", [0, -1, 4, 9007199254740991])
def test_store_missing_version_is_not_found_version(store: Store, number: int) -> None:
    prompt = store.create(ALICE, name="n", template="t1")
    store.add_version(ALICE, prompt.id, "t2")
    store.add_version(ALICE, prompt.id, "t3")
    with pytest.raises(NotFound) as caught:
        prompt.version(number)
    assert caught.value.param == "version"
    before = (prompt.active_version, prompt.updated_at)
    with pytest.raises(NotFound) as caught:
        store.rollback(ALICE, prompt.id, number)
    assert caught.value.param == "version"
    assert (prompt.active_version, prompt.updated_at) == before


def test_store_rollback_back_forward_and_same(store: Store, clock: FakeClock) -> None:
    prompt = store.create(ALICE, name="n", template="t1")
    store.add_version(ALICE, prompt.id, "t2")
    store.add_version(ALICE, prompt.id, "t3")
    assert store.rollback(ALICE, prompt.id, 1).active_version == 1
    assert store.rollback(ALICE, prompt.id, 2).active_version == 2
    moved = prompt.updated_at
    assert store.rollback(ALICE, prompt.id, 2).active_version == 2
    assert prompt.updated_at == moved + timedelta(seconds=1)
    assert prompt.latest_version == 3
    assert [v.template for v in prompt.versions] == ["t1", "t2", "t3"]


# --------------------------------------------------------------------------------------------
# update, reset, iteration
# --------------------------------------------------------------------------------------------


def test_store_update_applies_only_schema_fields(store: Store) -> None:
    prompt = store.create(ALICE, name="n", template="t", description="d", metadata={"a": 1})
    store.update(ALICE, prompt.id, {"template": "x", "active_version": 9, "name": "m"})
    assert (prompt.name, prompt.description, prompt.metadata) == ("m", "d", {"a": 1})
    assert (prompt.active_version, [v.template for v in prompt.versions]) == (1, ["t"])
    store.update(ALICE, prompt.id, {"description": None, "metadata": {"b": 2}})
    assert (prompt.description, prompt.metadata) == (None, {"b": 2})
    assert prompt.updated_at == START + timedelta(seconds=2)
    assert prompt.created_at == START


def test_store_reset_forgets_everything(store: Store) -> None:
    make(store, 2)
    make(store, 1, owner=BOB)
    store.reset()
    assert list(store) == []
    assert page_ids(store, 10, "asc") == ([], False)
    assert page_ids(store, 10, "asc", owner=BOB) == ([], False)


def test_store_iterates_over_every_owner(store: Store) -> None:
    alice = make(store, 2)
    bob = make(store, 1, owner=BOB)
    seen: list[tuple[Owner, Prompt]] = list(store)
    assert sorted((owner, prompt.id) for owner, prompt in seen) == sorted(
        [(ALICE, alice[0]), (ALICE, alice[1]), (BOB, bob[0])]
    )
