"""Schemathesis fuzzes the app in-process, over ASGI: every operation, every check.

Settings are in schemathesis.toml beside this file. A deep run:
``MKA1_MOCK_FUZZ_EXAMPLES=2000 python -m pytest tests/contract``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.config import SchemathesisConfig

from mka1_mock import create_app
from mka1_mock.settings import Settings

CONFIG = SchemathesisConfig.from_path(Path(__file__).with_name("schemathesis.toml"))
TOKEN = "fuzz-token"  # the bearer in schemathesis.toml
EXAMPLES = int(os.environ.get("MKA1_MOCK_FUZZ_EXAMPLES", "25"))
EPOCH = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))

app = create_app(Settings(api_keys=frozenset({TOKEN})))
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
schema.config.generation.update(max_examples=EXAMPLES)


def keep_contract(case: schemathesis.Case, response: Any) -> None:
    """What Schemathesis cannot see: the mock's self-check and crashes; and stricter than its
    default, a schema-valid request is never a 400."""
    session = app.state.session
    assert list(session.violations) == [] and list(session.crashes) == []
    assert case.meta is not None
    if case.meta.generation.mode.is_positive:
        assert response.status_code != 400, response.text


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_every_operation_keeps_the_contract(case: schemathesis.Case) -> None:
    keep_contract(case, case.call_and_validate())


OPERATIONS = {operation.operation_id for operation in app.state.session.spec.operations}
succeeded: set[str] = set()


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Chains calls along the spec's links: create, read, update, version, rollback, delete."""

    sequences = 0

    def __init__(self) -> None:
        super().__init__()
        # Each sequence starts from the same state, IDs and time, so that the same choices meet
        # the same answers: Hypothesis needs that to replay, and a failure to reproduce.
        app.state.session.reset(seed=0, now=EPOCH)

    def teardown(self) -> None:
        Workflow.sequences += 1
        super().teardown()

    def before_call(self, case: schemathesis.Case) -> None:
        # One owner per chain: links carry IDs, not X-On-Behalf-Of (see openapi.yaml), so a
        # follow-up that draws another owner is a documented 404, not a chain that succeeds.
        # The stateless tests above fuzz the header.
        if case.headers:
            case.headers.pop("X-On-Behalf-Of", None)
        super().before_call(case)

    def after_call(self, response: Any, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        keep_contract(case, response)
        if response.status_code < 300:
            succeeded.add(case.operation.definition.raw["operationId"])


def test_fuzz_stateful_chains_succeed_on_every_operation() -> None:
    succeeded.clear()
    Workflow.sequences = 0
    # Derandomized, so that whether every operation is reached does not depend on luck.
    stateful = settings(
        FUZZ_SETTINGS, max_examples=max(EXAMPLES, 50), stateful_step_count=15, derandomize=True
    )
    run_state_machine_as_test(Workflow, settings=stateful)
    print(f"stateful sequences: {Workflow.sequences}")  # shown with -s, for the deep run
    assert succeeded == OPERATIONS
