"""The admin API's clock (``/__mock/clock``): the wall clock by default; frozen, moved on and
released on request; invalid bodies change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    AUTH,
    PROMPTS,
    assert_error,
    create_prompt,
    schema_errors,
    utc,
)


def test_clock_is_the_wall_clock_by_default(make_client: Callable[..., TestClient]) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)

    clock = make_client().get("/__mock/clock").json()

    after = datetime.now(timezone.utc)
    assert schema_errors("ClockState", clock) == []
    assert clock["frozen"] is False
    assert before <= utc(clock["now"]) <= after
    assert clock["now"].endswith("Z")


def test_clock_freezes_advances_and_releases(make_client: Callable[..., TestClient]) -> None:
    client = make_client()

    frozen = client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})
    first = create_prompt(client, headers=AUTH, name="first")
    still = client.get("/__mock/clock").json()
    moved = client.put("/__mock/clock", json={"advance": 60})
    second = create_prompt(client, headers=AUTH, name="second")
    version = client.post(
        f"{PROMPTS}/{first['id']}/versions", json={"template": "v2"}, headers=AUTH
    ).json()
    before_release = datetime.now(timezone.utc).replace(microsecond=0)
    released = client.put("/__mock/clock", json={"frozen": False})

    assert frozen.status_code == 200
    assert frozen.json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}
    assert first["created_at"] == first["updated_at"] == "2026-03-15T10:30:00Z"
    assert first["version"]["created_at"] == "2026-03-15T10:30:00Z"
    assert still == {"now": "2026-03-15T10:30:00Z", "frozen": True}
    assert moved.json() == {"now": "2026-03-15T10:31:00Z", "frozen": True}
    assert second["created_at"] == "2026-03-15T10:31:00Z"
    assert version["created_at"] == "2026-03-15T10:31:00Z"
    updated = client.get(f"{PROMPTS}/{first['id']}", headers=AUTH).json()
    assert updated["updated_at"] == "2026-03-15T10:31:00Z"
    assert updated["created_at"] == "2026-03-15T10:30:00Z"
    assert released.json()["frozen"] is False
    assert utc(released.json()["now"]) >= before_release
    assert client.get("/__mock/clock").json()["frozen"] is False
    third = create_prompt(client, headers=AUTH, name="third")
    assert utc(third["created_at"]) >= before_release


def test_clock_now_with_an_offset_and_advance_together(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()

    response = client.put(
        "/__mock/clock", json={"now": "2026-03-15T12:30:00.750+02:00", "advance": 30}
    )

    assert response.json() == {"now": "2026-03-15T10:30:30Z", "frozen": True}


def test_clock_frozen_true_freezes_where_it_is(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    before = datetime.now(timezone.utc).replace(microsecond=0)

    frozen = client.put("/__mock/clock", json={"frozen": True}).json()
    later = client.get("/__mock/clock").json()
    unchanged = client.put("/__mock/clock", json={}).json()

    assert frozen["frozen"] is True
    assert utc(frozen["now"]) >= before
    assert later == unchanged == frozen


def test_clock_advance_moves_a_running_clock_until_released(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    before = datetime.now(timezone.utc).replace(microsecond=0)

    moved = client.put("/__mock/clock", json={"advance": 86400}).json()
    created = create_prompt(client, headers=AUTH)
    released = client.put("/__mock/clock", json={"frozen": False}).json()

    assert moved["frozen"] is False
    assert utc(moved["now"]) >= before + timedelta(days=1)
    assert utc(created["created_at"]) >= before + timedelta(days=1)
    assert utc(released["now"]) < before + timedelta(days=1)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"advance": -1}, "body.advance"),
        ({"advance": 1.5}, "body.advance"),
        ({"advance": 3153600001}, "body.advance"),
        ({"now": "yesterday"}, "body.now"),
        ({"now": "2026-03-15T10:30:00"}, "body.now"),
        ({"now": "2026-03-15"}, "body.now"),
        ({"frozen": "no"}, "body.frozen"),
        ([], "body"),
    ],
)
def test_clock_rejects_invalid_bodies_and_stays_put(
    make_client: Callable[..., TestClient], body: Any, location: str
) -> None:
    client = make_client()
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})

    response = client.put("/__mock/clock", json=body)

    error = assert_error(response, 400)
    assert location in [detail["location"] for detail in error["details"]]
    assert client.get("/__mock/clock").json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}


def test_clock_rejects_a_non_json_or_missing_body(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    client.put("/__mock/clock", json={"now": "2026-03-15T10:30:00Z"})

    plain = client.put(
        "/__mock/clock", content=b'{"advance": 60}', headers={"Content-Type": "text/plain"}
    )
    untyped = client.put("/__mock/clock", content=b'{"advance": 60}')
    empty = client.put("/__mock/clock")

    error = assert_error(plain, 415)
    assert error["param"] == "Content-Type"
    assert error["details"] == [
        {"location": "header.Content-Type", "message": "must be application/json, not 'text/plain'"}
    ]
    assert assert_error(untyped, 415)["details"] == [
        {"location": "header.Content-Type", "message": "is missing"}
    ]
    assert assert_error(empty, 400)["details"] == [{"location": "body", "message": "is required"}]
    assert client.get("/__mock/clock").json() == {"now": "2026-03-15T10:30:00Z", "frozen": True}


def test_clock_accepts_a_year_before_1000(make_client: Callable[..., TestClient]) -> None:
    # admin.yaml's Timestamp allows any four-digit year; the answer must keep all four digits.
    response = make_client().put("/__mock/clock", json={"now": "0999-12-31T23:59:59Z"})

    assert response.status_code == 200, response.text
    assert response.json() == {"now": "0999-12-31T23:59:59Z", "frozen": True}


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"now": "0001-01-01T00:00:00+01:00"}, "body.now"),
        ({"now": "9999-12-31T23:59:59-01:00"}, "body.now"),
        ({"now": "9999-12-31T23:59:59Z", "advance": 3153600000}, "body.advance"),
    ],
)
def test_clock_outside_the_representable_range_is_a_400_not_a_crash(
    make_client: Callable[..., TestClient], body: dict[str, Any], location: str
) -> None:
    client = make_client()

    response = client.put("/__mock/clock", json=body)

    error = assert_error(response, 400)
    assert location in [detail["location"] for detail in error["details"]]
