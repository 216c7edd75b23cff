"""The pipeline's order in time: the journal dates a request when it arrived."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from mka1_mock import Settings, create_app
from tests.helpers import AUTH, PROMPTS, utc


def test_journal_time_is_when_the_request_arrived_not_when_it_was_answered() -> None:
    # A real 300 ms of latency, so that arrival and answer are far apart on the wall clock.
    app = create_app(Settings(latency_ms=(300, 300)))
    with TestClient(app, headers=AUTH) as client:
        sent = time.time()
        client.get(PROMPTS)
        answered = time.time()
    [entry] = app.state.session.requests()
    arrived = utc(entry.time).timestamp()
    assert answered - sent >= 0.3
    assert entry.duration_ms >= 300
    # Arrival is before the 300 ms of latency, not after: in the first half of the wait (the
    # time is to the millisecond, and a busy machine may take a while to read the request).
    assert sent - 0.002 <= arrived < sent + (answered - sent) / 2, (sent, arrived, answered)
