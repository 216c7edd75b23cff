"""JSON as RFC 8259 means it: Python's json also takes NaN, Infinity, numbers that overflow a
float, and lone surrogates, none of which can be answered back as JSON."""

from __future__ import annotations

import json
import math
from typing import Any


def strict_loads(data: bytes | str, **parameters: str) -> Any:
    """Parse JSON, raising ValueError for what is not interoperable JSON."""
    value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    _check_text(value)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is too large for a JSON number")
    return number


def _check_text(value: Any) -> None:
    """Lone surrogates (``"\\ud800"``) parse, but no UTF-8 text can carry them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{item!r} holds a lone surrogate, not a character") from None
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
