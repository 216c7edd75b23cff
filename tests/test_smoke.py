from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import PROMPTS


def test_create_then_get_round_trips(client: TestClient) -> None:
    created = client.post(PROMPTS, json={"name": "a", "template": "t"}).json()
    fetched = client.get(f"{PROMPTS}/{created['id']}").json()
    assert fetched["active_template"] == "t"
