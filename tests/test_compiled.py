"""The compiled checks never accept what openapi-core, the validator of record, would reject."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from mka1_mock import create_app, jsondata
from mka1_mock.compiled import Compiled
from mka1_mock.exchange import Exchange
from mka1_mock.validation import _OpenAPIRequest

app = create_app()
SPEC = app.state.session.spec
COMPILED = Compiled(SPEC)
OPERATIONS = {operation.operation_id: operation for operation in SPEC.operations}
schema = schemathesis.openapi.from_dict(SPEC.document)


def exchange_of(
    operation_id: str, query: Any, headers: dict[str, str], path: Any, body: Any
) -> Exchange:
    """An exchange as the pipeline has it once the body is read."""
    query_string = query if isinstance(query, str) else urlencode(query)
    raw_headers = headers | {"authorization": "Bearer k", "content-type": "application/json"}
    scope = {
        "type": "http",
        "method": OPERATIONS[operation_id].method,
        "path": "/",
        "query_string": query_string.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in raw_headers.items()],
        "path_params": path,
    }
    exchange = Exchange(scope, None, OPERATIONS[operation_id])  # type: ignore[arg-type]
    exchange.body = json.dumps(body).encode() if body is not None else None
    exchange.payload = jsondata.loads(exchange.body) if exchange.body else None
    return exchange


def verdicts(operation_id: str, query: Any, headers: dict[str, str], path: Any, body: Any) -> Any:
    """(the compiled checks' answer, openapi-core's result) for one request."""
    exchange = exchange_of(operation_id, query, headers, path, body)
    fast = COMPILED.plans[operation_id].read(exchange)
    return fast, SPEC.openapi.unmarshal_request(_OpenAPIRequest(exchange))


def agree(fast: Any, record: Any) -> None:
    if fast is None:
        return  # deferred: openapi-core's verdict is the answer
    assert record.errors == [], f"fast path accepted what openapi-core rejects: {record.errors}"
    assert fast == (record.parameters.path, record.parameters.query)


@pytest.mark.parametrize(
    ("operation_id", "query", "path", "body", "accepted"),
    [
        pytest.param("listPrompts", "", {}, None, True, id="defaults"),
        pytest.param(
            "listPrompts",
            f"limit=5&order=asc&after=prompt_{'a' * 32}",
            {},
            None,
            True,
            id="all-set",
        ),
        pytest.param("listPrompts", "limit=0", {}, None, False, id="limit-0"),
        pytest.param("listPrompts", "limit=007", {}, None, False, id="leading-zeros-deferred"),
        pytest.param("listPrompts", "limit=2&limit=3", {}, None, False, id="repeated-deferred"),
        pytest.param("listPrompts", "after=", {}, None, False, id="empty-after"),
        pytest.param("listPrompts", "order=up", {}, None, False, id="bad-order"),
        pytest.param("listPrompts", "after=0", {}, None, False, id="after-not-an-id"),
        pytest.param(
            "getPrompt",
            "variables=%7B%7D&version=2",
            {"id": "x"},
            None,
            True,
            id="variables-and-version",
        ),
        pytest.param("getPrompt", "variables=%5B%5D", {"id": "x"}, None, False, id="array-vars"),
        pytest.param("getPrompt", "variables=NaN", {"id": "x"}, None, False, id="nan-vars"),
        pytest.param(
            "getPromptVersion", "", {"id": "x", "version": "-3"}, None, True, id="negative-version"
        ),
        pytest.param(
            "getPromptVersion", "", {"id": "x", "version": "1.0"}, None, False, id="float-version"
        ),
        pytest.param(
            "createPrompt",
            "",
            {},
            {"name": "n", "template": "t", "x": 1},
            True,
            id="extra-body-field",
        ),
        pytest.param("createPrompt", "", {}, {"name": "", "template": "t"}, False, id="empty-name"),
        pytest.param("createPrompt", "", {}, None, False, id="no-body"),
        pytest.param("rollbackPrompt", "", {"id": "x"}, {"version": 2.0}, True, id="two-point-oh"),
        pytest.param("updatePrompt", "", {"id": "x"}, {"description": None}, True, id="null-desc"),
    ],
)
def test_compiled_agrees_with_openapi_core(
    operation_id: str, query: str, path: dict[str, str], body: Any, accepted: bool
) -> None:
    fast, record = verdicts(operation_id, query, {}, path, body)
    assert (fast is not None) == accepted
    agree(fast, record)


def test_compiled_responses_it_accepts_openapi_core_accepts_too() -> None:
    plan = COMPILED.plans["getPrompt"]
    good = {
        "id": "prompt_" + "a" * 32,
        "object": "prompt",
        "name": "n",
        "active_version": 1,
        "latest_version": 1,
        "metadata": {},
        "created_at": "2026-03-15T10:30:00Z",
        "updated_at": "2026-03-15T10:30:00Z",
        "active_template": "t",
    }
    assert plan.answers(200, good)
    for broken in (
        {**good, "extra": 1},
        {**good, "created_at": "2026-13-01T00:00:00Z"},
        {k: v for k, v in good.items() if k != "name"},
    ):
        assert not plan.answers(200, broken)
    assert not plan.answers(429, {"error": "Rate limit exceeded"})  # has a header: openapi-core
    assert not plan.answers(418, {})


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_never_accepts_what_openapi_core_rejects(operation_id: str, data: Any) -> None:
    operation = schema.find_operation_by_id(operation_id)
    mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
    case = data.draw(operation.as_strategy(generation_mode=mode))
    query = [
        (k, str(v))
        for k, values in (case.query or {}).items()
        for v in (values if isinstance(values, list) else [values])
    ]
    headers = {k: str(v) for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    path = {k: str(v) for k, v in (case.path_parameters or {}).items()}
    body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None
    try:
        fast, record = verdicts(operation_id, query, headers, path, body)
    except (ValueError, UnicodeEncodeError):
        return  # not sendable as JSON or as a header: the pipeline answers 400 before this
    agree(fast, record)
