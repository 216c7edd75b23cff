"""The one JSON reader: strict RFC 8259, nesting at most MAX_DEPTH deep, and the field at fault."""

from __future__ import annotations

import pytest

from mka1_mock import jsondata
from mka1_mock.jsondata import MAX_DEPTH, JSONProblem, TooDeep


def nested(depth: int) -> bytes:
    """Arrays nested ``depth`` deep: ``[[[]]]`` is 3."""
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b"[NaN]", id="nan"),
        pytest.param(b"[Infinity]", id="infinity"),
        pytest.param(b"[1e400]", id="overflowing-number"),
        pytest.param(b'["\\ud800"]', id="lone-surrogate"),
        pytest.param(b'["\xff"]', id="invalid-utf8"),
        pytest.param(b"{'a': 1}", id="single-quotes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_jsondata_refuses_what_is_not_interoperable_json(text: bytes) -> None:
    with pytest.raises(JSONProblem):
        jsondata.loads(text)


@pytest.mark.parametrize("depth", [1, MAX_DEPTH])
def test_jsondata_reads_up_to_the_limit(depth: int) -> None:
    value = jsondata.loads(nested(depth))
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param(nested(MAX_DEPTH + 1), None, id="top-level-array-just-over"),
        pytest.param(nested(50_000), None, id="top-level-array-far-over"),
        pytest.param(b'{"a": 1, "metadata": ' + nested(MAX_DEPTH) + b"}", "metadata", id="field"),
        pytest.param(b'{"metadata": ' + nested(50_000) + b"}", "metadata", id="field-far-over"),
        pytest.param(b'{"m": {"x": ' + b"[" * 2000, "m", id="unclosed-and-too-deep"),
        pytest.param(b'{"a": "[[[[", "b": ' + nested(MAX_DEPTH) + b"}", "b", id="brackets-in-text"),
    ],
)
def test_jsondata_too_deep_names_the_top_level_field(text: bytes, field: str | None) -> None:
    with pytest.raises(TooDeep) as raised:
        jsondata.loads(text)
    assert raised.value.field == field
    assert str(raised.value) == f"is nested more than {MAX_DEPTH} levels deep"


def test_jsondata_brackets_inside_strings_are_not_nesting() -> None:
    text = '{"template": "' + "[" * (MAX_DEPTH * 4) + '"}'
    assert jsondata.loads(text) == {"template": "[" * (MAX_DEPTH * 4)}


def test_jsondata_writes_compact_utf8() -> None:
    assert jsondata.dumps({"a": [1, "é", None]}) == '{"a":[1,"é",null]}'.encode()
