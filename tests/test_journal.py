"""The request journal is bounded, keeps the newest entries, and the violation report reads well."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.testclient import TestClient

from mka1_mock import Session, Settings, create_app
from mka1_mock.errors import Detail
from mka1_mock.handlers.prompts import HANDLERS
from mka1_mock.journal import Ring, Violation, failure_report
from tests.helpers import AUTH, PROMPTS, create_prompt, drops_the_name


def test_journal_keeps_the_newest_1000_of_10000_requests() -> None:
    # One run of 10,000 requests: the cost is per request, so a smaller journal would not help.
    assert Settings().journal_size == 1000
    app = create_app(Settings())
    session: Session = app.state.session
    statuses = set()
    with TestClient(app, headers=AUTH) as client:
        for i in range(10_000):
            response = client.get(PROMPTS, params={"limit": 1}, headers={"X-On-Behalf-Of": f"n{i}"})
            statuses.add(response.status_code)
        listed = client.get("/__mock/requests").json()["data"]

    assert statuses == {200}
    assert len(session.journal) == 1000
    newest = [f"n{i}" for i in range(9000, 10_000)]
    assert [entry.headers["x-on-behalf-of"] for entry in session.journal] == newest
    assert [entry["headers"]["x-on-behalf-of"] for entry in listed] == newest
    assert all(entry["query"] == {"limit": "1"} for entry in listed)
    assert list(session.violations) == []


def test_journal_size_setting_bounds_the_journal() -> None:
    app = create_app(Settings(journal_size=5))
    session: Session = app.state.session
    with TestClient(app, headers=AUTH) as client:
        for i in range(8):
            client.get(PROMPTS, headers={"X-On-Behalf-Of": f"n{i}"})
        create_prompt(client, name="a", template="t")
        listed = client.get("/__mock/requests").json()["data"]
        lists = client.get("/__mock/requests", params={"operation": "listPrompts"}).json()["data"]
        client.delete("/__mock/requests")
        client.get(PROMPTS)
        after_clear = client.get("/__mock/requests").json()["data"]

    assert len(session.journal) == 1
    assert [entry["operation_id"] for entry in listed] == ["listPrompts"] * 4 + ["createPrompt"]
    assert [entry["headers"].get("x-on-behalf-of") for entry in listed[:4]] == [
        "n4",
        "n5",
        "n6",
        "n7",
    ]
    assert [entry["headers"]["x-on-behalf-of"] for entry in lists] == ["n4", "n5", "n6", "n7"]
    assert [entry["operation_id"] for entry in after_clear] == ["listPrompts"]
    assert list(session.violations) == []


# --- Ring ---------------------------------------------------------------------------------------


def test_ring_keeps_the_newest_items_in_order() -> None:
    ring: Ring[int] = Ring(3)

    assert list(ring) == []
    assert len(ring) == 0
    ring.append(1)
    ring.append(2)
    assert list(ring) == [1, 2]
    assert len(ring) == 2
    for item in range(3, 8):
        ring.append(item)

    assert list(ring) == [5, 6, 7]
    assert len(ring) == 3


def test_ring_of_one_holds_the_last_item() -> None:
    ring: Ring[str] = Ring(1)

    ring.append("a")
    ring.append("b")

    assert list(ring) == ["b"]


def test_ring_clear_empties_it_and_it_refills() -> None:
    ring: Ring[int] = Ring(2)
    ring.append(1)
    ring.append(2)

    ring.clear()

    assert list(ring) == []
    assert len(ring) == 0
    ring.append(3)
    assert list(ring) == [3]


def test_ring_iteration_is_a_snapshot() -> None:
    ring: Ring[int] = Ring(3)
    for item in (1, 2, 3):
        ring.append(item)

    iterator = iter(ring)
    ring.append(4)
    ring.clear()

    assert list(iterator) == [1, 2, 3]


def run_together(worker: Callable[[int], None], threads: int) -> None:
    """Run ``worker(0..threads-1)`` on their own threads and wait for all of them."""
    workers = [threading.Thread(target=worker, args=(name,)) for name in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


def test_ring_loses_nothing_under_concurrent_appends() -> None:
    threads, per_thread = 8, 500
    ring: Ring[tuple[int, int]] = Ring(threads * per_thread)
    start = threading.Barrier(threads)

    def worker(name: int) -> None:
        start.wait()
        for index in range(per_thread):
            ring.append((name, index))

    run_together(worker, threads)

    items = list(ring)
    assert len(ring) == threads * per_thread
    assert sorted(items) == [(name, i) for name in range(threads) for i in range(per_thread)]
    for name in range(threads):
        assert [i for n, i in items if n == name] == list(range(per_thread))


def test_ring_stays_bounded_under_concurrent_appends() -> None:
    threads, per_thread, size = 8, 500, 50
    ring: Ring[tuple[int, int]] = Ring(size)
    start = threading.Barrier(threads)
    lengths: list[int] = []

    def worker(name: int) -> None:
        start.wait()
        for index in range(per_thread):
            ring.append((name, index))
            lengths.append(len(ring))

    run_together(worker, threads)

    items = list(ring)
    assert max(lengths) == size
    assert len(items) == size
    assert len(set(items)) == size
    # The ring holds the newest appends, so what it keeps of each thread is that thread's
    # last items, in order.
    for name in {n for n, _ in items}:
        mine = [i for n, i in items if n == name]
        assert mine == list(range(mine[0], per_thread))


# --- violations and their report ----------------------------------------------------------------


def test_violation_as_dict_and_text() -> None:
    violation = Violation(
        "getPrompt",
        "GET",
        "/api/v1/llm/prompts/prompt_1",
        200,
        (
            Detail("response.body.name", "is required"),
            Detail("response.body.id", "must be a string"),
        ),
    )

    assert violation.as_dict() == {
        "side": "response",
        "operation_id": "getPrompt",
        "method": "GET",
        "path": "/api/v1/llm/prompts/prompt_1",
        "status": 200,
        "details": [
            {"location": "response.body.name", "message": "is required"},
            {"location": "response.body.id", "message": "must be a string"},
        ],
        "request": None,
        "response": None,
    }
    assert str(violation) == (
        "GET /api/v1/llm/prompts/prompt_1 (getPrompt) answered 200:\n"
        "  response.body.name: is required\n"
        "  response.body.id: must be a string"
    )


def test_failure_report_counts_and_lists_every_violation() -> None:
    violations = [
        Violation("getPrompt", "GET", "/p/1", 200, (Detail("response.body.name", "is required"),)),
        Violation(
            "listPrompts", "GET", "/p", 418, (Detail("response.status", "418 is not declared"),)
        ),
    ]

    report = failure_report(violations, [])

    assert report == (
        "mka1-mock sent 2 response(s) that broke openapi.yaml (each was replaced by a 500):\n"
        "GET /p/1 (getPrompt) answered 200:\n"
        "  response.body.name: is required\n"
        "GET /p (listPrompts) answered 418:\n"
        "  response.status: 418 is not declared"
    )


def test_failure_report_of_a_violation_without_details() -> None:
    report = failure_report([Violation("(none)", "PATCH", "/x", 405, ())], [])

    assert report.splitlines() == [
        "mka1-mock sent 1 response(s) that broke openapi.yaml (each was replaced by a 500):",
        "PATCH /x ((none)) answered 405:",
    ]


def test_failure_report_of_a_real_violation_names_the_operation_and_field() -> None:
    app = create_app(handlers=HANDLERS | {"getPrompt": drops_the_name})
    with TestClient(app, headers=AUTH) as client:
        prompt_id = create_prompt(client, name="a", template="t")["id"]
        assert client.get(f"{PROMPTS}/{prompt_id}").status_code == 500

    report = failure_report(list(app.state.session.violations), [])

    assert report.splitlines()[0].startswith("mka1-mock sent 1 response(s)")
    assert f"GET {PROMPTS}/{prompt_id} (getPrompt) answered 200:" in report.splitlines()
    assert "  response.body.name: is required" in report.splitlines()
