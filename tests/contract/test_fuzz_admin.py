"""Schemathesis fuzzes the admin API from its own OpenAPI document, like the MKA1 API."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import settings

from mka1_mock import create_app

from .test_fuzz import CONFIG, EXAMPLES, FUZZ_SETTINGS

# Its own app: resets, state imports and clock changes must not disturb the MKA1 fuzzing.
app = create_app()
schema = schemathesis.openapi.from_asgi("/__mock/openapi.json", app, config=CONFIG)
schema.config.generation.update(max_examples=EXAMPLES)
SEMANTIC = {"importState", "addFault"}  # the operations whose valid data may still be a 400


def keep_contract(case: schemathesis.Case, response: Any) -> None:
    """The mock's self-check, and positive 400s only for what a schema cannot say."""
    session = app.state.session
    assert list(session.violations) == [] and list(session.crashes) == []
    assert case.meta is not None
    if case.meta.generation.mode.is_positive and response.status_code == 400:
        assert case.operation.definition.raw["operationId"] in SEMANTIC, response.text
        assert response.json()["error"]["details"], response.text


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_admin_keeps_its_contract(case: schemathesis.Case) -> None:
    keep_contract(case, case.call_and_validate())


class AdminWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def after_call(self, response: Any, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        keep_contract(case, response)


TestFuzzAdminStateful = AdminWorkflow.TestCase
TestFuzzAdminStateful.settings = settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
