"""The fast path never accepts what openapi-core, the validator of record, would reject."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.datastructures import Headers, QueryParams

from mka1_mock import create_app
from mka1_mock.fastpath import FastPath
from mka1_mock.jsondata import strict_loads
from mka1_mock.validation import OpenAPIRequest, Validator

app = create_app()
SPEC = app.state.mock.spec
FAST = FastPath(SPEC)
RECORD = Validator(SPEC)
OPERATIONS = {operation.operation_id: operation for operation in SPEC.operations}
schema = schemathesis.openapi.from_dict(SPEC.document)


def verdicts(operation_id: str, query: Any, headers: dict[str, str], path: Any, body: Any) -> Any:
    """(fast path's answer, openapi-core's result) for one request."""
    operation = OPERATIONS[operation_id]
    raw = json.dumps(body).encode() if body is not None else None
    payload = strict_loads(raw) if raw else None
    query_params = QueryParams(query)
    header_map = Headers(headers | {"authorization": "Bearer k"})
    fast = FAST.request(operation, query_params, header_map, path, payload)
    check = OpenAPIRequest(operation, "/", query_params, header_map, path, raw, "application/json")
    return fast, RECORD.spec.openapi.unmarshal_request(check)


def agree(fast: Any, record: Any) -> None:
    if fast is None:
        return  # deferred: openapi-core's verdict is the answer
    assert record.errors == [], f"fast path accepted what openapi-core rejects: {record.errors}"
    assert fast == (record.parameters.path, record.parameters.query)


@pytest.mark.parametrize(
    ("operation_id", "query", "path", "body", "accepted"),
    [
        pytest.param("listPrompts", "", {}, None, True, id="defaults"),
        pytest.param("listPrompts", "limit=5&order=asc&after=p", {}, None, True, id="all-set"),
        pytest.param("listPrompts", "limit=0", {}, None, False, id="limit-0"),
        pytest.param("listPrompts", "limit=007", {}, None, False, id="leading-zeros-deferred"),
        pytest.param("listPrompts", "limit=2&limit=3", {}, None, False, id="repeated-deferred"),
        pytest.param("listPrompts", "after=", {}, None, False, id="empty-after"),
        pytest.param("listPrompts", "order=up", {}, None, False, id="bad-order"),
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
def test_fastpath_agrees_with_openapi_core(
    operation_id: str, query: str, path: dict[str, str], body: Any, accepted: bool
) -> None:
    fast, record = verdicts(operation_id, query, {}, path, body)
    assert (fast is not None) == accepted
    agree(fast, record)


def test_fastpath_responses_it_accepts_openapi_core_accepts_too() -> None:
    operation = OPERATIONS["getPrompt"]
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
    assert FAST.response(operation, 200, good)
    for broken in (
        {**good, "extra": 1},
        {**good, "created_at": "2026-13-01T00:00:00Z"},
        {k: v for k, v in good.items() if k != "name"},
    ):
        assert not FAST.response(operation, 200, broken)
    assert not FAST.response(operation, 429, {"error": "Rate limit exceeded"})  # has a header
    assert not FAST.response(operation, 418, {})


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fastpath_never_accepts_what_openapi_core_rejects(operation_id: str, data: Any) -> None:
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
