"""JSON in and out, with orjson: strict as RFC 8259 means it, and nested at most MAX_DEPTH deep.

orjson refuses what cannot be answered back as JSON (NaN, Infinity, numbers that overflow a
double, lone surrogates, invalid UTF-8). Integers beyond 64 bits are read as doubles, as a
JavaScript service reads every number.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

MAX_DEPTH = 128
"""Arrays and objects nest at most this deep in any JSON the mock reads (the body itself counts)."""

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


class JSONProblem(ValueError):
    """JSON the mock will not read."""


class TooDeep(JSONProblem):
    """JSON nested too deep; ``field`` is the top-level key at fault, if there is one."""

    def __init__(self, field: str | None, max_depth: int = MAX_DEPTH) -> None:
        super().__init__(f"is nested more than {max_depth} levels deep")
        self.field = field


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON, raising JSONProblem for what is not interoperable or nests too deep."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise TooDeep(_deep_key_in_text(raw, max_depth), max_depth) from None
        raise JSONProblem(str(exc)) from None
    # A cheap count first: only a document with that many brackets can nest that deep.
    if raw.count(b"[") + raw.count(b"{") > max_depth:
        check_depth(value, max_depth)
    return value


def whole(value: Any) -> Any:
    """A value the schema checked as an integer, as a Python int: JSON Schema counts ``2.0`` as
    one, and state must not keep it as a float."""
    return int(value) if isinstance(value, float) else value


def dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8, as every answer of the mock is written."""
    return orjson.dumps(value)


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise TooDeep, naming the top-level key at fault, if ``value`` nests deeper than allowed."""
    items = value.items() if isinstance(value, dict) else [(None, value)]
    for key, item in items:
        stack = [(item, 2 if key is not None else 1)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, (dict, list)):
                if depth > max_depth:
                    raise TooDeep(key, max_depth)
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, depth + 1) for child in children)


def _deep_key_in_text(raw: bytes, max_depth: int) -> str | None:
    """The top-level key under which ``raw`` nests too deep, read from its tokens (for documents
    too deep to parse at all)."""
    depth, key, last = 0, None, b""
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return key
        elif token in (b"]", b"}"):
            depth -= 1
        elif token == b":" and depth == 1:
            try:
                key = orjson.loads(last)
            except orjson.JSONDecodeError:
                key = None  # the parse error it holds would not be reached first: no name
        last = token
    return key
